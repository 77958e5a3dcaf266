#!/usr/bin/env bash
# Crash safety of `osg serve`: SIGKILL under load, restart, check every acknowledged
# submission and deposit (scripts/crash-test-server.py). Bounded and loopback only. CI runs a
# few rounds on the debug build; scripts/bench-crash-recovery.sh runs 100 on a release build.
#   scripts/crash-test-server.sh [--rounds N] [--max-seconds S] [--max-replayed N] [--bin PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import requests, cryptography" 2>/dev/null || pip install --quiet requests cryptography
bin=.build/debug/osg
[ -x "$bin" ] || swift build --product osg
exec timeout 600 python3 scripts/crash-test-server.py --bin "$bin" "$@"
