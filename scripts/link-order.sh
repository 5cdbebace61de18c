#!/usr/bin/env bash
# The release binary's link order (README, "Performance"; build.rs):
#   scripts/link-order.sh          write build/link-order.txt: the functions
#                                  of mcpc that its common runs execute
#   scripts/link-order.sh --check  fail if fewer than 90% of the names in
#                                  build/link-order.txt are in a release
#                                  build's symbol table (the list went stale)
#
# Why: a 3-server build runs about 1 MB of mcpc's functions, which the
# linker had spread over 67 of the 104 64-KB windows of its 6.6 MB of code;
# the kernel maps the code a window per page fault, and on a VM a fault
# costs 5-8 us. The linker (lld's --symbol-ordering-file, passed by
# build.rs) puts the listed functions first and together: 17 windows.
#
# The names are mangled symbols, whose hashes follow the crate graph (the
# crates' versions and features, the compiler): a name that is no longer
# there is skipped by the linker, so a stale list costs speed, never
# correctness. Regenerate it after updating the compiler or Cargo.lock, or
# when --check says so. Needs valgrind (callgrind lists what ran).
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # one sort order for the list and the checks of it
list=build/link-order.txt
bin=${CARGO_TARGET_DIR:-target}/release/mcpc

cargo build --release -q --bin mcpc

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
# What runs: every target's build of the examples, and the checks alone.
runs=(
  "build examples/ --target all --out $work/out"
  "check examples/"
  "fmt --check examples/"
)
i=0
for args in "${runs[@]}"; do
  i=$((i + 1))
  # shellcheck disable=SC2086 # the arguments are words
  valgrind -q --tool=callgrind --demangle=no --compress-strings=no \
    --callgrind-out-file="$work/cg.$i" "$bin" $args >/dev/null 2>&1 || true
done
# Each `fn=` line names a function that ran, in the object of the `ob=` line
# before it; keep mcpc's own (a `'2` suffix marks a recursive call's copy).
# The symbol table decides what is a function of the binary.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ { print $NF }' | sort -u >"$work/syms"
awk -v bin="$(basename "$bin")" '
  /^ob=/ { n = split($0, p, "/"); mine = (p[n] == bin) }
  /^fn=/ && mine { name = substr($0, 4); sub(/'"'"'[0-9]+$/, "", name); print name }
' "$work"/cg.* | sort -u | comm -12 - "$work/syms" >"$work/list"
if [ "$(wc -l <"$work/list")" -lt 100 ]; then
  echo "link order: callgrind saw only $(wc -l <"$work/list") of mcpc's functions; $list left as it was" >&2
  exit 1
fi
mv "$work/list" "$list"
echo "link order: $(wc -l <"$list") functions in $list"
