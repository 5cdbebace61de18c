#!/usr/bin/env bash
# Runs every fuzz target (docs/fuzzing.md) for SECONDS each (default 20).
# With a nightly toolchain: `cargo fuzz`, from the seeds that tests/fuzz.rs
# writes plus fuzz/regressions/; a crash fails the script and leaves its
# input in fuzz/artifacts/<target>/. Without nightly: the same bodies under
# stable `cargo test --test fuzz`, with MCPC_FUZZ_CASES mutated inputs per
# target (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
targets=(parse pipeline fmt apply import lsp)
cargo_fuzz_version=0.13.2

if ! cargo +nightly --version >/dev/null 2>&1; then
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
MCPC_FUZZ_SEED_DIR="$PWD/fuzz/corpus" MCPC_FUZZ_CASES=0 cargo test --test fuzz >/dev/null
# MCPC_FUZZ_FREE_TARGET=1 (CI, whose disk is small): the tests' build in
# target/ is not needed again; the fuzz build in fuzz/target/ is separate.
if [ "${MCPC_FUZZ_FREE_TARGET:-}" = 1 ]; then
  cargo clean -q
fi

start=$(date +%s)
# No sanitizer: mcpc forbids unsafe code; debug assertions catch overflow.
(cd fuzz && cargo +nightly fuzz build -s none -a)
echo "fuzz: targets built in $(( $(date +%s) - start ))s"
mkdir -p fuzz/artifacts
for t in "${targets[@]}"; do
  dirs=("$PWD/fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("$PWD/fuzz/regressions/$t")
  log="$PWD/fuzz/artifacts/$t.log"
  status=0
  (cd fuzz && cargo +nightly fuzz run -s none -a "$t" "${dirs[@]}" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1 || status=$?
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | sed "s/^/fuzz $t: /" || true
  if [ "$status" != 0 ]; then
    tail -n 40 "$log"
    echo "fuzz: target $t failed (its input is in fuzz/artifacts/$t/)"
    exit 1
  fi
done
