#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine with cargo-fuzz (libFuzzer) on the stable toolchain.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Replays every kept finding (fuzz/regressions/TARGET/*) first, then fuzzes each target for
# the given time (default $FUZZ_SECONDS or 60), and prints executions and crashes per target.
# A new crash fails the run; its input is left in fuzz/artifacts/TARGET/.
#
# Stable toolchain, no nightly: with `-s none` cargo-fuzz only passes stable codegen flags
# (sanitizer-coverage passes); its default address sanitizer needs -Zsanitizer, which stable
# refuses ("the option `Z` is only accepted on the nightly compiler"). No sanitizer is needed:
# src/ has no unsafe code, and what we look for are panics, overflows (debug assertions on)
# and broken invariants.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-${FUZZ_SECONDS:-60}}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(parse_response classify engine_events)
FLAGS=(-O -s none --debug-assertions)
# FUZZ_SEED fixes libFuzzer's seed (CI's short run uses 1, so a run on a fresh clone explores
# the same way each time); 0, the default, lets libFuzzer pick one.

if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: installing cargo-fuzz (about 1 min)"
  cargo install cargo-fuzz --version 0.13.2
fi
build_log=$(mktemp)
if ! cargo fuzz build "${FLAGS[@]}" >"$build_log" 2>&1; then
  cat "$build_log"
  echo "fuzz: build failed"
  exit 1
fi
rm -f "$build_log"

total_runs=0
crashes=0
summary=()
for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  if compgen -G "regressions/$target/*" >/dev/null; then
    cargo fuzz run "${FLAGS[@]}" "$target" regressions/"$target"/* -- -runs=1 >/dev/null 2>&1 \
      || { echo "fuzz: $target: a kept finding fails again (regressions/$target)"; exit 1; }
  fi
  log=$(mktemp)
  rc=0
  cargo fuzz run "${FLAGS[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -seed="${FUZZ_SEED:-0}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    >"$log" 2>&1 || rc=$?
  runs=$(grep -oP 'stat::number_of_executed_units:\s*\K\d+' "$log" || echo 0)
  found=$(grep -c "Test unit written to" "$log" || true)
  total_runs=$((total_runs + runs))
  crashes=$((crashes + found))
  cov=$(grep -oP '#\d+\s+DONE\s+cov: \K\d+' "$log" || grep -oP 'cov: \K\d+' "$log" | tail -1 || echo "?")
  summary+=("$target: $runs executions in ${SECONDS_PER_TARGET}s, coverage $cov, corpus $(ls "corpus/$target" | wc -l), crashes $found")
  if [ "$rc" -ne 0 ]; then
    grep -E "panicked at|^SUMMARY|Test unit written" -A2 "$log" | head -20
    # A failure that left no crashing input (a build error, libFuzzer refusing) fails too.
    [ "$found" -gt 0 ] || { tail -20 "$log"; crashes=$((crashes + 1)); }
  fi
  rm -f "$log"
done
printf 'fuzz: %s\n' "${summary[@]}"
echo "fuzz: total $total_runs executions, $crashes crashes"
[ "$crashes" -eq 0 ]
