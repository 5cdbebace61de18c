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
cargo build --release -q --bin mcpc --example floor
cargo bench -q --bench scale -- "$@"
echo
cargo bench -q --bench lsp
