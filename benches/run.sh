#!/usr/bin/env bash
# The benchmarks, in one command (README, "Performance"):
#   benches/run.sh [ARGS]         the scale benchmark (benches/scale/main.rs)
#                                 against the floor program (benches/scale/floor.rs),
#                                 then the editor path (benches/lsp.rs)
# ARGS go to the scale benchmark, e.g. `--sizes 3,2000 --runs 3 --no-phases`.
# Prints tables; asserts nothing. Release builds; run it on a quiet machine
# (or under `nice`, and read the ratios rather than the times).
set -euo pipefail
cd "$(dirname "$0")/.."
# One build of everything in the `bench` profile (what `cargo bench` uses):
# building the binary with `--release` and the benches with `cargo bench`
# would compile the whole crate graph twice.
cargo build --profile bench -q --bin mcpc --example floor --bench scale --bench lsp
cargo bench -q --bench scale -- "$@"
echo
cargo bench -q --bench lsp
