#!/usr/bin/env bash
# Property-based API testing of `osg serve` with schemathesis (PyPI) against /openapi.json:
# no 5xx, status codes, content types, headers and response bodies as documented, and
# invalid input refused. Every request is signed (scripts/schemathesis_hooks.py).
# Bounded: --max-examples per operation and a 10-minute timeout; loopback only.
#   scripts/schemathesis.sh [MAX_EXAMPLES]      (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
max_examples=${1:-25}
command -v schemathesis >/dev/null || pip install --quiet schemathesis
python3 -c "import requests, cryptography" 2>/dev/null || pip install --quiet requests cryptography
bin=${OSG_BIN:-.build/debug/osg}
export OSG_BIN=$bin  # the hooks ask it for the bytes of each write's command
[ -x "$bin" ] || swift build --product osg
data=$(mktemp -d)
out=$(mktemp)
"$bin" serve --data "$data" --port 0 --json --log-level error --clear-interval 1 --rate-limit 100000 --devnet-faucet > "$out" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$out"' EXIT
for _ in $(seq 1 100); do
  url=$(python3 -c "import json,sys; print(json.loads(open('$out').readline())['listening'])" 2>/dev/null) && break
  sleep 0.1
done
echo "coordinator at $url" >&2
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks timeout 600 schemathesis run "$url/openapi.json" \
  --url "$url" -H "OSG-Signature: sign-me" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
  --max-examples "$max_examples" --seed 7 --request-timeout 40 --phases examples,coverage,fuzzing \
  --exclude-path-regex '^/metrics$'
