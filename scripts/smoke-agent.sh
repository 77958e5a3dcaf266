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
pids+=($!)

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
job=$("$osg" submit "$work/job.yaml" --coordinator "$url" --key "$work/tenant.key" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])')
status=""
for _ in $(seq 1 300); do
  status=$("$osg" jobs --coordinator "$url" --key "$work/tenant.key" --json \
    | python3 -c 'import json,sys; jobs=[j for j in json.load(sys.stdin)["jobs"] if j["id"]==sys.argv[1]]; print(jobs[0]["status"] if jobs else "")' "$job")
  [ "$status" = completed ] || [ "$status" = failed ] && break
  sleep 0.2
done
[ "$status" = completed ] || fail "job $job ended as '$status', not completed"
"$osg" logs "$job" --coordinator "$url" --key "$work/tenant.key" | grep -q "hello from the sandbox" || fail "the job's output did not reach the tenant"
"$osg" agent status --config "$work/agent.yaml" | grep -q "registered" || fail "osg agent status shows no registration"
"$osg" nodes --all --coordinator "$url" | grep -q "smoke-1" || fail "osg nodes does not list the agent's node"
echo "smoke-agent: job $job ran in the sandbox of agent smoke-1 and completed"
