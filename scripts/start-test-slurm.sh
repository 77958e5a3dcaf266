#!/usr/bin/env bash
# Starts a single-host Slurm for the SlurmExecutor tests (as root): munged, then one slurmctld
# and one slurmd for a node named after this host, with 4 GPUs backed by fake device files.
# Prints one line on success (the SLURM_CONF to use), or the log tail and a non-zero status.
#   scripts/start-test-slurm.sh     # idempotent: a second call while it runs just says so
#   scripts/stop-test-slurm.sh
# Everything lives under $OSG_TEST_SLURM_DIR (default /tmp/osg-test-slurm); the daemons use
# their own ports (6917, 6918), so an operator's Slurm or another test Slurm on the default
# ports is not touched. Clients find it through SLURM_CONF=$dir/etc/slurm.conf; the tests look
# there by default (or at OSG_TEST_SLURM_CONF). Memory limits are enforced by cgroups when the
# host allows it (checked with a probe job), else by Slurm's accounting poll; see below.
# Needs Debian's slurm-wlm (installed when missing, as on a fresh CI machine).
set -euo pipefail
dir=${OSG_TEST_SLURM_DIR:-/tmp/osg-test-slurm}
conf=$dir/etc/slurm.conf
gpus=4
export SLURM_CONF=$conf

fail() {
  echo "start-test-slurm: $*" >&2
  for log in /var/log/munge/munged.log "$dir"/log/slurmctld.log "$dir"/log/slurmd.log; do
    [ -s "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (slurmd starts jobs as their users)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurm-wlm" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq slurm-wlm; } >&2 || fail "apt-get install slurm-wlm failed"
fi

node=$(hostname -s)

# Already running and answering: nothing to do.
if [ -f "$conf" ] && timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' \
  && timeout 5 sinfo -h -n "$node" -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
  echo "test Slurm already up: node $node, SLURM_CONF=$conf"; exit 0
fi

mkdir -p "$dir"/etc "$dir"/state "$dir"/spool "$dir"/log "$dir"/dev "$dir"/run

# munge: reuse a munged that answers (the operator's), else start our own with a key of its own.
if ! timeout 5 sh -c 'munge -n | unmunge' >/dev/null 2>&1; then
  key=/etc/munge/munge.key
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s "$key" ]; then
    dd if=/dev/urandom bs=1 count=1024 of="$key" 2>/dev/null
  fi
  if id munge >/dev/null 2>&1; then
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  fi
  chmod 0700 /etc/munge; chmod 0400 "$key"
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c "/usr/sbin/munged" || /usr/sbin/munged --force
  else
    /usr/sbin/munged --force
  fi
  echo "/run/munge/munged.pid" > "$dir/run/munged-started-by-us"
  for _ in $(seq 1 50); do
    timeout 5 sh -c 'munge -n | unmunge' >/dev/null 2>&1 && break
    sleep 0.1
  done
  timeout 5 sh -c 'munge -n | unmunge' >/dev/null 2>&1 || fail "munged does not answer"
fi

# Stale daemons of ours (a crash, a config change): stop them before starting afresh.
for daemon in slurmctld slurmd; do
  pidfile=$dir/run/$daemon.pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done

# Fake GPUs: character devices (slurmd ignores plain files, and then sets no CUDA_VISIBLE_DEVICES)
# with /dev/null's numbers, so a job that opens one harms nothing.
for i in $(seq 0 $((gpus - 1))); do
  [ -c "$dir/dev/nvidia$i" ] || { rm -f "$dir/dev/nvidia$i"; mknod "$dir/dev/nvidia$i" c 1 3; }
done
memory_mib=$(( $(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024 ))
# The node advertises at least 8 cores so the tests' 1-core jobs run side by side on a small CI
# machine; config_overrides lets slurmd accept a count above the hardware's.
cpus=$(nproc); [ "$cpus" -ge 8 ] || cpus=8

# Memory enforcement, best first: the cgroup memory controller (the kernel's OOM killer ends
# the job as OUT_OF_MEMORY), else the accounting poll (OverMemoryKill: the step is killed with
# SIGKILL and ends FAILED). cgroup v2 runs without systemd here (IgnoreSystemd), as in a test VM.
# OSG_TEST_SLURM_MEMORY=poll (or cgroup/v1, cgroup/v2) forces one.
if [ -n "${OSG_TEST_SLURM_MEMORY:-}" ]; then
  memory_mode=$OSG_TEST_SLURM_MEMORY
elif [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  memory_mode=cgroup/v1
elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  memory_mode=cgroup/v2
else
  memory_mode=poll
fi

write_config() {   # $1: cgroup/v1, cgroup/v2 or poll
  local mode=$1 proctrack task gather params=""
  if [ "$mode" = poll ]; then
    proctrack=proctrack/linuxproc task=task/none gather=jobacct_gather/linux
    params="JobAcctGatherParams=OverMemoryKill"
    rm -f "$dir/etc/cgroup.conf"
  else
    proctrack=proctrack/cgroup task=task/cgroup gather=jobacct_gather/cgroup
    {
      echo "CgroupPlugin=$mode"
      echo "CgroupAutomount=yes"
      [ "$mode" = cgroup/v2 ] && echo "IgnoreSystemd=yes"
      echo "ConstrainRAMSpace=yes"
      echo "ConstrainSwapSpace=yes"
      echo "ConstrainCores=no"
      echo "ConstrainDevices=no"   # the fake GPUs are /dev/null's numbers
    } > "$dir/etc/cgroup.conf"
  fi
  cat > "$conf" <<CONF
# Written by scripts/start-test-slurm.sh: a single-host Slurm for the SlurmExecutor tests.
# Memory enforcement: $mode. Loopback addresses: the host name need not resolve.
ClusterName=osgtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=6917
SlurmdPort=6918
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=$proctrack
TaskPlugin=$task
JobAcctGatherType=$gather
JobAcctGatherFrequency=task=1
$params
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
SlurmdParameters=config_overrides
# Finished jobs stay in slurmctld's memory for 5 minutes, so scontrol still shows their state
# and exit code; after that the executor's status file is all there is.
MinJobAge=300
KillWait=5
ReturnToService=2
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mib Gres=gpu:$gpus State=UNKNOWN
PartitionName=osgtest Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/dev/nvidia[0-%d]\n' "$node" "$dir" $((gpus - 1)) > "$dir/etc/gres.conf"
}

stop_daemons() {
  timeout 10 scontrol shutdown >/dev/null 2>&1 || true
  for daemon in slurmctld slurmd; do
    local pidfile=$dir/run/$daemon.pid
    [ -s "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

# Starts both daemons and waits (at most 30 s) for the node to be idle; 0 when it is.
start_daemons() {
  slurmctld -f "$conf" -i >/dev/null 2>&1 || return 1
  slurmd -f "$conf" >/dev/null 2>&1 || return 1
  local state="" deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(timeout 3 sinfo -h -n "$node" -o '%T' 2>/dev/null || true)
    case "$state" in
      idle|mixed|allocated) return 0 ;;
      down*|drain*|unknown*) timeout 3 scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  echo "node $node is not idle after 30 s (sinfo says '${state:-nothing}')" >&2
  return 1
}

# A cgroup setup can start and still fail to launch jobs: one 1-second probe job decides.
probe_job() {
  local id state="" deadline=$((SECONDS + 10))
  id=$(timeout 5 sbatch --parsable --job-name=osg-probe --output=/dev/null --mem=64M --time=1 \
    --chdir=/tmp --wrap=true 2>/dev/null) || return 1
  [ -n "$id" ] || return 1
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(timeout 3 scontrol show job -o "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
    case "$state" in
      JobState=COMPLETED) return 0 ;;
      JobState=PENDING|JobState=RUNNING|JobState=CONFIGURING|JobState=COMPLETING|"") sleep 0.25 ;;
      *) return 1 ;;
    esac
  done
  return 1
}

write_config "$memory_mode"
if ! { start_daemons && probe_job; }; then
  # Only a controller that answers points at the cgroup setup; anything else is fatal.
  timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld does not answer (port 6917 taken? see its log)"
  [ "$memory_mode" = poll ] && fail "Slurm did not start"
  stop_daemons
  memory_mode="poll ($memory_mode did not work here)"
  write_config poll
  { start_daemons && probe_job; } || fail "Slurm did not start"
fi
echo "test Slurm up: node $node, $gpus GPUs, memory by $memory_mode, SLURM_CONF=$conf"
exit 0
