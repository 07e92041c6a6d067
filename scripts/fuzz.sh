#!/usr/bin/env bash
# Runs every libFuzzer harness of a FERRY_FUZZ build for a bounded time each.
# Usage: scripts/fuzz.sh BUILD_DIR [SECONDS]
# New inputs that reach new code go to BUILD_DIR/tests/fuzz/scratch/<harness>/ (the checked-in
# seeds under tests/fuzz/corpus/ are only read); an input that crashes is written to
# BUILD_DIR/tests/fuzz/artifacts/ — add it to the harness's corpus as regress-<what> together
# with the fix, so it stays a test.
set -uo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz_dir="$build/tests/fuzz"
failed=()
for harness in "$fuzz_dir"/fuzz_*; do
  [ -x "$harness" ] || continue
  name=$(basename "$harness"); name=${name#fuzz_}
  mkdir -p "$fuzz_dir/scratch/$name" "$fuzz_dir/artifacts"
  echo "== $name: ${seconds}s"
  if ! "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$fuzz_dir/artifacts/$name-" \
      "$fuzz_dir/scratch/$name" "$root/tests/fuzz/corpus/$name" 2>"$fuzz_dir/$name.log"; then
    failed+=("$name")
    tail -40 "$fuzz_dir/$name.log"
  else
    grep -E "stat::number_of_executed_units|cov:" "$fuzz_dir/$name.log" | tail -2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in $fuzz_dir/artifacts/)"
  exit 1
fi
echo "fuzz: no crash"
