#!/usr/bin/env bash
# Smoke test of the README's first command, through the real binary: `osg devnet --demo` starts a
# coordinator and agents; the printed commands work (a job runs and streams its output, the public
# log audits); Ctrl-C stops it cleanly (exit 0); a second start in the same folder resumes the same
# network; --reset starts over. Usage: scripts/smoke-devnet.sh [path/to/osg]
set -euo pipefail
osg=${1:-.build/debug/osg}
work=$(mktemp -d)
chmod 755 "$work"
data="$work/net"
devnet_pid=""
# Stops a devnet still running (after a failure); returns 0 so the script's own status stands.
cleanup() {
  if [ -n "$devnet_pid" ]; then kill -TERM "$devnet_pid" 2>/dev/null || true; wait "$devnet_pid" 2>/dev/null || true; fi
  return 0
}
trap cleanup EXIT
fail() { echo "smoke-devnet: $*"; echo "--- devnet output"; cat "$work/devnet.out" || true; echo "--- log (last lines)"; tail -n 20 "$data/devnet.log" || true; exit 1; }
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$work/devnet.out" "$1"; }

# Starts the devnet with "$@" and waits (at most 120 s) for its JSON line.
start() {
  "$osg" devnet --data "$data" --port 0 --json "$@" > "$work/devnet.out" 2>"$work/devnet.err" &
  devnet_pid=$!
  for _ in $(seq 1 1200); do
    grep -q coordinator "$work/devnet.out" 2>/dev/null && return 0
    kill -0 "$devnet_pid" 2>/dev/null || fail "osg devnet exited early: $(cat "$work/devnet.err")"
    sleep 0.1
  done
  fail "no JSON line within 120 s"
}
# Stops it as Ctrl-C does; it must exit 0.
stop() {
  kill -INT "$devnet_pid"
  wait "$devnet_pid" || fail "osg devnet exited $? on SIGINT: $(cat "$work/devnet.err")"
  devnet_pid=""
}

start --demo --demo-interval 1
[ "$(field resumed)" = "False" ] || fail "a new folder was reported as resumed"
export OSG_COORDINATOR OSG_KEY
OSG_COORDINATOR=$(field coordinator)
OSG_KEY=$(field tenant_key)
"$osg" submit "$data/hello.yaml" --wait --timeout 120 > "$work/hello.out" || fail "the hello job did not complete: $(cat "$work/hello.out")"
grep -q "hello from a sandboxed job" "$work/hello.out" || fail "the hello job's output did not stream back: $(cat "$work/hello.out")"
"$osg" jobs | grep -q demo- || fail "no demo job in osg jobs"
"$osg" providers | grep -q simulated || fail "osg providers does not say the GPUs are simulated"
"$osg" audit --from "$OSG_COORDINATOR/log" --state-dir "$work/audit" > /dev/null || fail "the devnet's public log did not audit"
jobs_before=$("$osg" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
stop

start
[ "$(field resumed)" = "True" ] || fail "the second start did not resume"
OSG_COORDINATOR=$(field coordinator)
jobs_after=$("$osg" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
[ "$jobs_after" -ge "$jobs_before" ] || fail "jobs lost across the restart: $jobs_before before, $jobs_after after"
stop

start --reset
[ "$(field resumed)" = "False" ] || fail "--reset did not start over"
stop
echo "smoke-devnet: ok (demo, hello job, audit, resume with $jobs_after jobs, reset)"
