#!/usr/bin/env bash
# The release binary's link order (README, "Performance"; build.rs):
#   scripts/link-order.sh          write build/link-order.txt: the functions
#                                  of mcpc that its common runs execute (and
#                                  build/link-order.rustc: the compiler's
#                                  version, whose hashes the names carry)
#   scripts/link-order.sh --check  fail if fewer than 90% of the names in
#                                  build/link-order.txt are in a release
#                                  build's symbol table (the list went stale)
#
# Why: a 3-server build runs about 1 MB of mcpc's functions, which the
# linker had spread over 67 of the 104 64-KB windows of its 6.6 MB of code;
# the kernel maps the code a window per page fault, and on a VM a fault
# costs 5-8 us. The linker (lld's --symbol-ordering-file, passed by
# build.rs when MCPC_LINK_ORDER=1) puts the listed functions first and
# together: 17 windows.
#
# The names are mangled symbols, whose hashes follow the crate graph (the
# compiler, the crates' versions and features, whether `--target` was
# given): a name that is no longer there is skipped by the linker, so a
# stale list costs speed, never correctness. Regenerate it after changing
# any of those, or when --check says so. --check passes with a notice
# where it cannot say (another host, another compiler than the list's).
# Needs valgrind (callgrind lists what ran) to write the list.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # one sort order for the list and the checks of it
export MCPC_LINK_ORDER=1
list=build/link-order.txt
made_with=build/link-order.rustc

host=$(rustc -vV | sed -n 's/^host: //p')
if [ "$host" != x86_64-unknown-linux-gnu ]; then
  echo "link order: only for x86_64-unknown-linux-gnu, not $host"
  [ "${1:-}" = --check ] && exit 0
  exit 1
fi
if [ "${1:-}" = --check ] && [ "$(rustc -V)" != "$(cat "$made_with")" ]; then
  echo "link order: not checked: the list is for $(cat "$made_with"), this is $(rustc -V); run scripts/link-order.sh"
  exit 0
fi

# The binary, wherever the target directory is (CARGO_TARGET_DIR, a
# config's build.target-dir): from Cargo's report of what it built.
bin=$(cargo build --release --bin mcpc --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\/mcpc\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "link order: no binary from cargo build" >&2; exit 1; }

if [ "${1:-}" = --check ]; then
  have=$(mktemp)
  trap 'rm -f "$have"' EXIT
  nm --defined-only "$bin" | awk '{ print $NF }' | sort -u >"$have"
  total=$(wc -l <"$list")
  found=$(comm -12 "$have" "$list" | wc -l)
  echo "link order: $found of $total listed functions are in $bin"
  if [ $((found * 10)) -lt $((total * 9)) ]; then
    echo "link order: $list is stale; run scripts/link-order.sh" >&2
    exit 1
  fi
  exit 0
fi

command -v valgrind >/dev/null || { echo "link order: needs valgrind" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=0
# `profile MAX ARGS…` runs mcpc with ARGS under callgrind; an exit code
# above MAX is a failure (a build must succeed, or its error paths would
# be listed; `fmt --check` exits 1 for what it found).
profile() {
  local max=$1 code=0
  shift
  runs=$((runs + 1))
  valgrind -q --tool=callgrind --demangle=no --compress-strings=no \
    --callgrind-out-file="$work/cg.$runs" "$bin" "$@" >/dev/null 2>"$work/err" || code=$?
  if [ "$code" -gt "$max" ]; then
    echo "link order: \`mcpc $*\` exited with $code:" >&2
    cat "$work/err" >&2
    exit 1
  fi
}
# What runs: every target's build of the examples, and the checks alone.
profile 0 build examples/ --target all --out "$work/out"
profile 0 check examples/
profile 1 fmt --check examples/
# What the examples do not run and users' sources do: a relative output
# directory (made absolute from the working directory) and a host with a
# digit in it (which the URL parser's IDNA step takes the long way).
cat >"$work/more.mcpc" <<'SRC'
plugin "more" {
  version = "1.0.0"
  description = "What the examples do not run"
  // Claude Desktop takes no remote server in its file.
  targets = ["claude-code", "codex", "hermes", "gemini", "opencode", "qwen", "copilot", "droid", "amp", "auggie", "cursor", "vscode", "windsurf", "zed", "kiro", "antigravity", "crush", "goose"]
  server "s3" {
    url = "https://s3.tools.example.com/mcp"
  }
}
SRC
root=$PWD
cd "$work"
profile 0 build more.mcpc --target all --out more
cd "$root"
# Each `fn=` line names a function that ran, in the object of the `ob=` line
# before it; keep mcpc's own (a `'2` suffix marks a recursive call's copy).
# The symbol table decides what is a function of the binary.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ { print $NF }' | sort -u >"$work/syms"
awk -v bin="$(basename "$bin")" '
  /^ob=/ { n = split($0, p, "/"); mine = (p[n] == bin) }
  /^fn=/ && mine { name = substr($0, 4); sub(/'"'"'[0-9]+$/, "", name); print name }
' "$work"/cg.* | sort -u | comm -12 - "$work/syms" >"$work/ran"
# Callgrind's CPU has no SHA extensions, so sha2's functions for them never
# ran under it; a CPU that has them (most x86_64 servers) runs them in
# place of those that did.
grep -E '^_ZN4sha26sha2567x86_sha' "$work/syms" >"$work/sha" ||
  echo "link order: no function of sha2's for the SHA extensions (renamed?); listed without" >&2
sort -u "$work/sha" "$work/ran" >"$work/list"
if [ "$(wc -l <"$work/list")" -lt 100 ]; then
  echo "link order: callgrind saw only $(wc -l <"$work/list") of mcpc's functions; $list left as it was" >&2
  exit 1
fi
mv "$work/list" "$list"
rustc -V >"$made_with"
echo "link order: $(wc -l <"$list") functions in $list, for $(cat "$made_with")"
