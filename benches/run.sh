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
# mcpc as it ships (scripts/dist.sh): `cargo build --release --bin mcpc`
# alone, with the link order (build/link-order.txt). Built beside the
# benches, its dependencies would get the features the benches'
# dev-dependencies ask for, which makes another binary (whose symbols the
# link order does not name). A copy, since building the benches builds the
# binary again.
export MCPC_LINK_ORDER=1
bin=$(cargo build --release -q --bin mcpc --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\/mcpc\)".*/\1/p' | tail -n 1)
copy=$(dirname "$bin")/../bench
mkdir -p "$copy"
cp "$bin" "$copy/mcpc"
MCPC_BIN=${MCPC_BIN:-$(cd "$copy" && pwd)/mcpc}
export MCPC_BIN
# The floor and the benches in the same profile, so that the crates they
# share with mcpc and build with the same features are compiled once.
cargo build --release -q --example floor --bench scale --bench lsp
cargo bench --profile release -q --bench scale -- "$@"
echo
cargo bench --profile release -q --bench lsp
