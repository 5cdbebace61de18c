#!/usr/bin/env bash
# Runs every fuzz target (docs/fuzzing.md) for SECONDS each (default 20).
# With a nightly toolchain: `cargo fuzz`, from the seeds that tests/fuzz.rs
# writes plus fuzz/regressions/; a crash fails the script and leaves its
# input in fuzz/artifacts/<target>/. Without nightly: the same bodies under
# stable `cargo test --test fuzz`, with MCPC_FUZZ_CASES mutated inputs per
# target (default 2000).
#
# MCPC_FUZZ_TARGETS="parse lsp" runs only those targets; MCPC_FUZZ_JOBS=N
# runs each target in N processes at once (default 1: one core).
# MCPC_FUZZ_RUNS bounds each target by executions instead of time, for a
# reproducible run (CI): "N" for every target, or "parse=N fmt=M ..." (a
# target not named gets the default, 10000); MCPC_FUZZ_SEED (default 1 with
# RUNS) fixes libFuzzer's random seed, and comparison tracing is off: the
# same binary on the same corpus then makes the same choices (where mcpc's
# hash maps, seeded per process, do not change the coverage it sees: see
# docs/fuzzing.md). MCPC_FUZZ_TOOLCHAIN: the nightly to use
# (default "nightly").
# Prints the executions of each target and their total.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
read -r -a targets <<<"${MCPC_FUZZ_TARGETS:-parse pipeline fmt apply import lsp}"
jobs=${MCPC_FUZZ_JOBS:-1}
runs=${MCPC_FUZZ_RUNS:-}
toolchain=${MCPC_FUZZ_TOOLCHAIN:-nightly}
cargo_fuzz_version=0.13.2

# The executions for target $1 in MCPC_FUZZ_RUNS.
runs_for() {
  local word
  for word in $runs; do
    case $word in
      "$1"=*) echo "${word#*=}"; return ;;
      *=*) ;;
      *) echo "$word"; return ;;
    esac
  done
  echo 10000
}

if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain; running the targets under stable cargo test"
  MCPC_FUZZ_CASES=${MCPC_FUZZ_CASES:-2000} cargo test --test fuzz
  exit
fi

if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
  start=$(date +%s)
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
  echo "fuzz: cargo-fuzz installed in $(( $(date +%s) - start ))s"
fi

# The starting corpus: every target's seeds, as the stable harness has them.
start=$(date +%s)
seeds_log=$(mktemp)
if ! MCPC_FUZZ_SEED_DIR="$PWD/fuzz/corpus" MCPC_FUZZ_CASES=0 cargo test --test fuzz >"$seeds_log" 2>&1; then
  tail -n 40 "$seeds_log"
  echo "fuzz: writing the seeds failed"
  exit 1
fi
rm -f "$seeds_log"
echo "fuzz: seeds written in $(( $(date +%s) - start ))s"
# MCPC_FUZZ_FREE_TARGET=1 (CI, whose disk is small): the tests' build in
# target/ is not needed again; the fuzz build in fuzz/target/ is separate.
if [ "${MCPC_FUZZ_FREE_TARGET:-}" = 1 ]; then
  cargo clean -q
fi

# One build of every target; `cargo fuzz run` below uses the same flags, so
# it finds the build fresh and does not rebuild.
# No sanitizer: mcpc forbids unsafe code; debug assertions catch overflow.
flags=(-s none -a)
start=$(date +%s)
(cd fuzz && cargo "+$toolchain" fuzz build "${flags[@]}")
echo "fuzz: targets built in $(( $(date +%s) - start ))s"

mkdir -p fuzz/artifacts
total=0
for t in "${targets[@]}"; do
  dirs=("$PWD/fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("$PWD/fuzz/regressions/$t")
  log="$PWD/fuzz/artifacts/$t.log"
  marker="$PWD/fuzz/artifacts/$t.started"
  touch "$marker"
  rm -f fuzz/fuzz-*.log
  parallel=()
  if [ "$jobs" -gt 1 ]; then
    # Each job writes its own fuzz-N.log (in fuzz/); collected below.
    parallel=(-jobs="$jobs" -workers="$jobs")
  fi
  # A time bound, or (MCPC_FUZZ_RUNS) an execution bound and a fixed seed.
  bound=(-max_total_time="$seconds")
  what="${seconds}s"
  if [ -n "$runs" ]; then
    # No comparison tracing (-use_cmp=0): it records pointers, which differ
    # from run to run (ASLR); no re-reading of the corpus on a timer.
    bound=(-runs="$(runs_for "$t")" -seed="${MCPC_FUZZ_SEED:-1}" -use_cmp=0 -reload=0)
    what="a bound of $(runs_for "$t") (seed ${MCPC_FUZZ_SEED:-1})"
  fi
  status=0
  start=$(date +%s)
  (cd fuzz && cargo "+$toolchain" fuzz run "${flags[@]}" "$t" "${dirs[@]}" -- \
    "${bound[@]}" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    "${parallel[@]}") >"$log" 2>&1 || status=$?
  stats=$(cat "$log" fuzz/fuzz-*.log 2>/dev/null || true)
  [ "$jobs" -gt 1 ] && cat fuzz/fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz/fuzz-*.log
  executed=$(grep -E "^stat::number_of_executed_units" <<<"$stats" | awk '{s += $2} END {print s + 0}')
  added=$(grep -E "^stat::new_units_added" <<<"$stats" | awk '{s += $2} END {print s + 0}')
  total=$(( total + executed ))
  echo "fuzz $t: $executed executions ($what) in $(( $(date +%s) - start ))s, $added new inputs"
  found=$(find "fuzz/artifacts/$t" -newer "$marker" -type f 2>/dev/null | head -n 5)
  if [ "$status" != 0 ] || [ -n "$found" ]; then
    tail -n 40 "$log"
    echo "fuzz: target $t failed; its input: ${found:-see $log}"
    exit 1
  fi
done
echo "fuzz: $total executions in total, no crash"
