#!/usr/bin/env bash
# Fuzzes every decoder of untrusted bytes with libFuzzer (docs/FUZZING.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]   # default: 20 s each, every target
#   scripts/fuzz.sh --write-seeds           # regenerate the generated seeds in Fuzz/Corpus
# Builds the Fuzz package with -sanitize=fuzzer,address, then runs each target for SECONDS over
# a scratch copy of its seed corpus (Fuzz/Corpus/<target>, kept in the repository). Each input
# may take at most 10 s (a hang) and 2 GiB (unbounded allocation). A crash, hang or allocation
# failure stops with exit 1 and prints the input (base64), the file it was saved to and how to
# replay it. Exit 0 when every target ran its time without a finding.
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(FuzzLeafCodec FuzzStateSnapshot FuzzSignedNotes FuzzTiles FuzzWitness FuzzJobSpecs FuzzSignedRequests FuzzRequestBodies FuzzMarketSnapshot)
write_seeds=false
seconds=20
if [ "${1:-}" = "--write-seeds" ]; then write_seeds=true; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
[ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || { echo "SECONDS must be 1-3600, got $seconds"; exit 2; }

echo "building the fuzz targets (release, -sanitize=fuzzer,address)"
swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 \
  | grep -v "Cannot export local symbol" | tail -n 3
bin=Fuzz/.build/release

if $write_seeds; then
  for target in "${targets[@]}"; do
    rm -rf "Fuzz/Corpus/$target"
    OSG_FUZZ_WRITE_SEEDS="Fuzz/Corpus/$target" "$bin/$target"
  done
  exit 0
fi

# Swift's own crash handler would race libFuzzer's and AddressSanitizer's reports.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  [ -x "$bin/$target" ] || { echo "no fuzz target $target (known: ${targets_all[*]})"; exit 2; }
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  # Leak checks stay off: the Swift runtime's caches (metadata, interned strings) live for the
  # whole process and read as leaks; memory growth is caught by -rss_limit_mb and -malloc_limit_mb.
  set +e
  "$bin/$target" "$work/$target/corpus" "Fuzz/Corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=0 \
    -print_final_stats=1 -artifact_prefix="$work/$target/artifacts/" > "$work/$target/log" 2>&1
  status=$?
  set -e
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$target/log" | grep -Eo '[0-9]+$' || echo "?")
  coverage=$(grep -Eo 'cov: [0-9]+' "$work/$target/log" | tail -1 || true)
  if [ $status -eq 0 ]; then
    echo "ok: $target: $runs inputs in ${seconds} s, $coverage"
  else
    failed+=("$target")
    echo "FAILED: $target (exit $status)"
    grep -Ev "Cannot export local symbol" "$work/$target/log" | grep -A 30 -E "ERROR|Fatal error|property violated|deadly signal|timeout|out-of-memory" | head -n 60
    for artifact in "$work/$target/artifacts"/*; do
      [ -e "$artifact" ] || continue
      mkdir -p Fuzz/Findings && cp "$artifact" "Fuzz/Findings/$target-$(basename "$artifact")"
      echo "input (base64): $(base64 -w0 "$artifact")"
      echo "saved as Fuzz/Findings/$target-$(basename "$artifact"); replay: $bin/$target Fuzz/Findings/$target-$(basename "$artifact")"
    done
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzzing found problems in: ${failed[*]}"; exit 1; }
