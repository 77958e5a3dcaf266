#!/usr/bin/env bash
# Records the Slurm outputs in this folder from a live Slurm (scripts/start-test-slurm.sh), as
# root: one job per end state, and what scontrol, squeue, sbatch and scontrol ping print for it.
# Takes about 80 s (the TIMEOUT job needs its one-minute limit to pass). Usage:
#   scripts/start-test-slurm.sh && Tests/OSGAgentTests/Fixtures/slurm/record.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SLURM_CONF=${SLURM_CONF:-/tmp/osg-test-slurm/etc/slurm.conf}
work=$(mktemp -d /tmp/osg-slurm-record.XXXXXX)
node=$(hostname -s)

submit() {  # name, extra sbatch options..., then the command as the last argument
  local name=$1; shift
  local command=${*: -1}
  mkdir -p "$work/$name"
  env -i PATH=/usr/bin:/bin LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF" sbatch --parsable --job-name="osg-$name" \
    --output="$work/$name/output.log" --no-requeue --open-mode=append --nodes=1 --ntasks=1 --cpus-per-task=1 \
    --mem=1G --time=1 --chdir="$work/$name" --export=ALL "${@:1:$#-1}" --wrap="$command"
}
state_of() { scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_state() {  # id, states…: waits (≤ 120 s) until the job is in one of them
  local id=$1; shift
  for _ in $(seq 1 240); do
    for s in "$@"; do [ "$(state_of "$id")" = "$s" ] && return 0; done
    sleep 0.5
  done
  echo "job $id never reached $*" >&2; return 1
}
record() { scontrol show job -o "$1" > "$here/$2"; }

submit completed 'echo hello' > "$here/sbatch-parsable.txt"
completed=$(cat "$here/sbatch-parsable.txt")
failed=$(submit failed-exit3 'exit 3')
gpu=$(submit gpu --gres=gpu:2 'echo $CUDA_VISIBLE_DEVICES')
oom=$(submit out-of-memory --mem=256M 'python3 -c "b = bytearray(1 << 30)"')
timeout=$(submit timeout 'sleep 600')
term=$(submit terminated 'sleep 600')
cancelled=$(submit cancelled 'sleep 600')
pending=$(submit pending --begin=now+3600 'true')

wait_state "$term" RUNNING
wait_state "$cancelled" RUNNING
record "$term" running.txt
record "$pending" pending.txt
scancel --signal=TERM --full "$term"
scancel "$cancelled"
wait_state "$completed" COMPLETED && record "$completed" completed.txt
wait_state "$failed" FAILED && record "$failed" failed-exit3.txt
wait_state "$gpu" COMPLETED && record "$gpu" gpu.txt
wait_state "$oom" OUT_OF_MEMORY FAILED && record "$oom" out-of-memory.txt
wait_state "$term" FAILED CANCELLED && record "$term" terminated-term.txt
wait_state "$cancelled" CANCELLED && record "$cancelled" cancelled.txt
scancel "$pending"

wait_state "$timeout" TIMEOUT && record "$timeout" timeout.txt

# NODE_FAIL: a job running when its node is set down (last: it ends every job on the node).
nodefail=$(submit node-fail --time=5 'sleep 600')
wait_state "$nodefail" RUNNING
scontrol update nodename="$node" state=down reason=osg-fixture
wait_state "$nodefail" NODE_FAIL && record "$nodefail" node-fail.txt
# slurmd registers again at once and ReturnToService=2 may have resumed the node already.
scontrol update nodename="$node" state=resume 2>/dev/null || true
squeue --noheader --states=all --name="osg-completed,osg-timeout,osg-cancelled" --format='%i|%T|%j|%Z' > "$here/squeue-states-all.txt"
scontrol show job -o 999999999 > /dev/null 2> "$here/unknown-job.stderr.txt" || true
scontrol ping > "$here/ping-up.txt"
rm -rf "$work"
echo "recorded in $here"
