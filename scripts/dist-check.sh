#!/usr/bin/env bash
# Installs what scripts/dist.sh put in dist/ as a user would, with no Rust
# toolchain on PATH, and checks that each installed `mcpc` builds the
# examples to the same bytes as the cargo-built binary:
#   - the wheel into a fresh venv (pip), and with pipx when it is there;
#   - the npm tarballs into a temporary prefix (npm install), run through
#     the package's bin, `npx mcpc-compiler` and `npm exec -- mcpc`.
# Usage: scripts/dist-check.sh [REFERENCE_BINARY]  (default target/debug/mcpc)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ref=${1:-target/debug/mcpc}
[ -x "$ref" ] || { echo "dist-check: no reference binary $ref (cargo build first)" >&2; exit 2; }
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
tools=$(scripts/tools.sh)

shopt -s nullglob
wheels=(dist/mcpc_compiler-"$version"-*.whl)
launcher=dist/mcpc-compiler-$version.tgz
natives=(dist/mcpc-compiler-*-"$version".tgz)
[ ${#wheels[@]} -eq 1 ] && [ -f "$launcher" ] && [ ${#natives[@]} -eq 1 ] ||
  { echo "dist-check: run scripts/dist.sh first (want one wheel, the launcher and one platform tarball in dist/)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ref" build examples/ --target all --out "$tmp/expected" >/dev/null 2>&1

# PATH without any directory that holds cargo or rustc.
clean=
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || clean=${clean:+$clean:}$d
done
export PATH=$clean
unset CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  echo "dist-check: could not hide the Rust toolchain from PATH" >&2; exit 2
fi

same() { # $1 = label, $2 = directory to run in, $3... = the mcpc command
  local label=$1 dir=$2; shift 2
  rm -rf "$tmp/out"
  (cd "$dir" && "$@" build "$root/examples" --target all --out "$tmp/out" >/dev/null 2>&1)
  diff -r "$tmp/expected" "$tmp/out" >/dev/null ||
    { echo "dist-check: $label builds the examples differently:" >&2; diff -ru "$tmp/expected" "$tmp/out" >&2 | head -40; exit 1; }
  (cd "$dir" && "$@" --version) | grep -q "^mcpc $version " || { echo "dist-check: $label --version is wrong" >&2; exit 1; }
  echo "dist-check: $label ok"
}

python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check --no-index "${wheels[0]}"
same "pip install $(basename "${wheels[0]}")" "$root" "$tmp/venv/bin/mcpc"

PIPX_HOME="$tmp/pipx" PIPX_BIN_DIR="$tmp/pipx-bin" PIPX_MAN_DIR="$tmp/pipx-man" \
  "$tools/pipx" install --quiet "$root/${wheels[0]}" >/dev/null
same "pipx install" "$root" "$tmp/pipx-bin/mcpc"
rm -rf "$tmp/venv" "$tmp/pipx"

# The platform tarball next to the launcher: npm takes it for the
# launcher's optional dependency of that name; the other platforms'
# packages are skipped by their os/cpu/libc.
npm install --prefix "$tmp/npm" --no-audit --no-fund --loglevel=error \
  "$root/${natives[0]}" "$root/$launcher" >/dev/null
same "npm install (node_modules/.bin/mcpc)" "$root" "$tmp/npm/node_modules/.bin/mcpc"
same "npx mcpc-compiler" "$tmp/npm" npx --offline mcpc-compiler
same "npm exec --package=mcpc-compiler -- mcpc" "$tmp/npm" npm exec --offline --package=mcpc-compiler -- mcpc
echo "dist-check: every package installs a working mcpc with no Rust toolchain"
