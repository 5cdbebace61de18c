#!/usr/bin/env bash
# Builds mcpc's distributables for one platform into dist/ (docs/packaging.md):
#   dist/mcpc_compiler-VERSION-*.whl         the PyPI wheel (maturin, bindings = "bin")
#   dist/mcpc-compiler-VERSION.tgz           the npm launcher package
#   dist/mcpc-compiler-PLATFORM-VERSION.tgz  the npm package with this platform's binary
#   dist/mcpc-VERSION-TRIPLE.tar.gz          binary, man pages, completions, README, LICENSE
# Usage: scripts/dist.sh [RUST_TARGET]   (default: the host's). One release
# build; no network but the package registries (maturin from PyPI, crates).
# Installing the results needs no Rust toolchain (scripts/dist-check.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

host=$(rustc -vV | sed -n 's/^host: //p')
triple=${1:-$host}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
# The Rust target -> the npm platform package (npm/mcpc-compiler/package.json
# lists the same names in optionalDependencies; tests/packaging.rs checks).
case "$triple" in
  x86_64-unknown-linux-gnu)  platform=linux-x64-gnu   os=linux  cpu=x64   libc=glibc ;;
  aarch64-unknown-linux-gnu) platform=linux-arm64-gnu os=linux  cpu=arm64 libc=glibc ;;
  x86_64-unknown-linux-musl) platform=linux-x64-musl  os=linux  cpu=x64   libc=musl ;;
  x86_64-apple-darwin)       platform=darwin-x64      os=darwin cpu=x64   libc= ;;
  aarch64-apple-darwin)      platform=darwin-arm64    os=darwin cpu=arm64 libc= ;;
  x86_64-pc-windows-msvc)    platform=win32-x64-msvc  os=win32  cpu=x64   libc= ;;
  *) echo "dist.sh: no npm package for $triple" >&2; exit 2 ;;
esac
exe=mcpc; [ "$os" = win32 ] && exe=mcpc.exe

tools=$(scripts/tools.sh)
mkdir -p dist
stage=$(mktemp -d "$root/dist/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# The wheel; its build is the release build the other artifacts reuse,
# with the link order where the linker takes it (build.rs). `--target`
# only for another platform than the host's: Cargo names a crate's
# symbols differently when it is given, and the link order's names are
# those of a build without it.
export MCPC_LINK_ORDER=1
target_args=(); [ "$triple" != "$host" ] && target_args=(--target "$triple")
"$tools/maturin" build --release --out dist "${target_args[@]}"
target_dir=${CARGO_TARGET_DIR:-target}
bin="$target_dir/release/$exe"; [ "$triple" != "$host" ] && bin="$target_dir/$triple/release/$exe"

# The npm platform package: the binary and a manifest whose os/cpu/libc let
# npm install it only where it runs.
pkg="$stage/mcpc-compiler-$platform"
mkdir -p "$pkg/bin"
cp "$bin" "$pkg/bin/$exe"
cp LICENSE "$pkg/"
node - "$pkg/package.json" "$platform" "$version" "$os" "$cpu" "$libc" "$exe" <<'JS'
const [file, platform, version, os, cpu, libc, exe] = process.argv.slice(2);
const launcher = require(process.cwd() + "/npm/mcpc-compiler/package.json");
const manifest = {
  name: `mcpc-compiler-${platform}`,
  version,
  description: `The ${platform} binary of mcpc-compiler (the mcpc command comes from the mcpc-compiler package)`,
  license: launcher.license,
  repository: launcher.repository,
  os: [os],
  cpu: [cpu],
  ...(libc ? { libc: [libc] } : {}),
  files: [`bin/${exe}`, "LICENSE"],
  preferUnplugged: true,
};
require("fs").writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
JS
npm pack --silent --pack-destination dist "$pkg" >/dev/null
npm pack --silent --pack-destination dist ./npm/mcpc-compiler >/dev/null

# The release archive: what the GitHub release carries for this platform.
arch="$stage/mcpc-$version-$triple"
mkdir -p "$arch/completions"
cp "$bin" README.md LICENSE "$arch/"
# (Each release runner can run the binary it built: docs/packaging.md.)
"$bin" man --out "$arch/man" >/dev/null
for shell in bash zsh fish powershell elvish; do
  "$bin" completions "$shell" > "$arch/completions/mcpc.$shell"
done
tar -C "$stage" -czf "dist/mcpc-$version-$triple.tar.gz" "mcpc-$version-$triple"
ls -l dist/*"$version"*
