#!/usr/bin/env bash
# Smoke test of the real binary: a coordinator, one agent (`osg agent init` + `osg agent run`,
# simulated GPUs, bubblewrap sandbox) and a tenant using only the CLI. A job must run to its end
# and its output reach the tenant. Usage: scripts/smoke-agent.sh [path/to/osg]
set -euo pipefail
osg=${1:-.build/debug/osg}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
# The agent first (it closes its long poll), then the coordinator.
cleanup() { for (( i=${#pids[@]}-1; i>=0; i-- )); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
fail() { echo "smoke-agent: $*"; echo "--- agent log"; tail -n 30 "$work/agent.log" || true; exit 1; }

"$osg" serve --data "$work/coordinator" --port 0 --devnet-faucet --clear-interval 1 --json > "$work/serve.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listening"])' "$work/serve.out")

"$osg" agent init --out "$work/agent.yaml" --coordinator "$url" --node-id smoke-1 --simulate 2xH100 > /dev/null
"$osg" agent run --config "$work/agent.yaml" --heartbeat-seconds 1 > "$work/agent.log" 2>&1 &
agent_pid=$!
pids+=($agent_pid)

"$osg" keys new --out "$work/tenant.key" > /dev/null
"$osg" faucet 100 --coordinator "$url" --key "$work/tenant.key" > /dev/null
cat > "$work/job.yaml" <<'SPEC'
name: smoke
command: ["/bin/sh", "-c", "echo hello from the sandbox; echo rank $OSG_RANK"]
resources:
  gpu: { model: H100, count: 1 }
  cpu: 1
  memory_gib: 1
duration: 5m
max_price: 2.00
SPEC
submit() { "$osg" submit "$1" --coordinator "$url" --key "$work/tenant.key" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])'; }
# Waits (at most 60 s) until job $1's status is one of the words that follow; prints it.
wait_for() {
  local job=$1 status=""; shift
  for _ in $(seq 1 300); do
    status=$("$osg" jobs --coordinator "$url" --key "$work/tenant.key" --json \
      | python3 -c 'import json,sys; jobs=[j for j in json.load(sys.stdin)["jobs"] if j["id"]==sys.argv[1]]; print(jobs[0]["status"] if jobs else "")' "$job")
    for wanted in "$@"; do [ "$status" = "$wanted" ] && { echo "$status"; return; }; done
    sleep 0.2
  done
  echo "$status"
}
job=$(submit "$work/job.yaml")
[ "$(wait_for "$job" completed failed)" = completed ] || fail "job $job did not complete"
"$osg" logs "$job" --coordinator "$url" --key "$work/tenant.key" | grep -q "hello from the sandbox" || fail "the job's output did not reach the tenant"

# The agent is SIGKILLed while a job runs; a new agent takes the job over: it runs once, to its end.
sed -e 's/name: smoke/name: survivor/' -e 's|command: .*|command: ["/bin/sh", "-c", "echo begin; sleep 3; echo end"]|' "$work/job.yaml" > "$work/survivor.yaml"
survivor=$(submit "$work/survivor.yaml")
[ "$(wait_for "$survivor" running)" = running ] || fail "job $survivor did not start"
for _ in $(seq 1 50); do "$osg" logs "$survivor" --coordinator "$url" --key "$work/tenant.key" | grep -q begin && break; sleep 0.2; done
kill -KILL "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
"$osg" agent run --config "$work/agent.yaml" --heartbeat-seconds 1 >> "$work/agent.log" 2>&1 &
agent_pid=$!
pids+=($agent_pid)
[ "$(wait_for "$survivor" completed failed)" = completed ] || fail "job $survivor did not complete after the agent was killed"
lines=$("$osg" logs "$survivor" --coordinator "$url" --key "$work/tenant.key" --json | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["lines"]))')
[ "$lines" = "begin,end" ] || fail "job $survivor's output should be begin,end once each, got $lines"
[ "$("$osg" jobs --coordinator "$url" --key "$work/tenant.key" --json | python3 -c 'import json,sys; print(len([j for j in json.load(sys.stdin)["jobs"] if j["id"]==sys.argv[1]][0]["leases"]))' "$survivor")" = 1 ] \
  || fail "job $survivor ran under more than one lease"
"$osg" agent status --config "$work/agent.yaml" | grep -q "registered" || fail "osg agent status shows no registration"
"$osg" nodes --all --coordinator "$url" | grep -q "smoke-1" || fail "osg nodes does not list the agent's node"
echo "smoke-agent: job $job ran in the sandbox of agent smoke-1 and completed; job $survivor survived a SIGKILL of the agent and ran once"
