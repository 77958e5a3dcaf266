#!/usr/bin/env bash
# Nightly crash-recovery benchmark: builds osg in release, then runs the coordinator crash
# test (scripts/crash-test-server.py) for many rounds — load, SIGKILL within 1.5 s, restart,
# check every acknowledged write — and prints per round the snapshot the restart loaded, the
# entries it replayed and the restart time; at the end the totals, pass/fail and the machine
# index. Fails when a check fails or a restart replays more than --max-replayed entries
# (snapshots fell behind the kills). CI runs a few debug rounds through
# scripts/crash-test-server.sh instead.
# Deposits are --deposit-amount credits (default 100) so that most submissions are funded and
# the state grows to tens of thousands of jobs over 100 rounds.
#   scripts/bench-crash-recovery.sh [--rounds N] [--max-seconds S] [--max-replayed N] [--deposit-amount C] [--bin PATH] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=100
max_seconds=1.5
max_replayed=2000
deposit_amount=100
bin=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --max-seconds) max_seconds=$2; shift 2 ;;
    --max-replayed) max_replayed=$2; shift 2 ;;
    --deposit-amount) deposit_amount=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)"; exit 2 ;;
  esac
done

python3 -c "import requests, cryptography" 2>/dev/null || pip install --quiet requests cryptography
if [ -z "$bin" ]; then
  swift build -c release --scratch-path .build-release --product osg 2>&1 | tail -n 2
  bin=.build-release/release/osg
fi
[ -x "$bin" ] || { echo "$bin is not an executable"; exit 2; }
out=${out:-$(mktemp -t osg-crash-bench.XXXXXX.json)}

index=""
if [ -x ../shared/tools/machine-index ]; then index=$(../shared/tools/machine-index 2>/dev/null || true); fi
echo "crash-recovery benchmark: $rounds rounds, SIGKILL within $max_seconds s, $bin; machine ${index:-index not available}"

set +e
# About 3 s a round (load, restart, checks); the audit of the published log at the end.
timeout $(( rounds * 30 + 900 )) python3 scripts/crash-test-server.py --bin "$bin" --rounds "$rounds" \
  --max-seconds "$max_seconds" --max-replayed "$max_replayed" --deposit-amount "$deposit_amount" --json-out "$out" > /dev/null
status=$?
set -e

python3 - "$out" "$status" "$index" <<'EOF'
import json, sys
path, status, index = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    result = json.load(open(path))
except (OSError, ValueError):
    print(f"FAIL: the crash test ended with status {status} before writing its result")
    sys.exit(1)
restarts = result["restarts"]
print(f"log entries {result['log_entries']}; acknowledged {result['acknowledged_submissions']} submissions and "
      f"{result['acknowledged_deposits']} deposits; audit {result['audit']}")
print(f"snapshot advanced in {result['rounds_snapshot_advanced']} of {len(restarts)} rounds; last restart loaded "
      f"{restarts[-1]['snapshot_sequence']}; clean-stop restart loaded {result['final_restart']['snapshot_sequence']} "
      f"and replayed {result['final_restart']['entries_replayed']}")
print(f"entries replayed per restart: mean {result['entries_replayed_mean']}, max {result['entries_replayed_max']}; "
      f"restart time median {result['restart_seconds_median']:.2f} s, max {result['restart_seconds_max']:.2f} s")
for problem in result["problems"]:
    print(f"problem: {problem}")
print(("PASS" if status == 0 and not result["problems"] else "FAIL") + f" (machine {index or 'index not available'}; result {path})")
sys.exit(0 if status == 0 and not result["problems"] else 1)
EOF
