#!/usr/bin/env bash
# The tree-sitter grammar: generate the parser, then `tree-sitter test` runs
# the corpus (test/corpus) and the highlight assertions (test/highlight)
# against queries/highlights.scm. The CLI is built from the crates registry,
# pinned: its npm package downloads a binary from outside the registries at
# install time, which CI cannot reach.
set -euo pipefail
cd "$(dirname "$0")/../editors/tree-sitter-mcpc"
version=0.25.10
if ! tree-sitter --version 2>/dev/null | grep -q " $version"; then
  cargo install tree-sitter-cli --version "$version" --locked
fi
tree-sitter generate
# The highlight names the assertions use, as tree-sitter's configuration.
TREE_SITTER_DIR="$PWD/test" tree-sitter test
# Helix's queries (editors/helix) are these patterns with Helix's capture
# names: the patterns must stay the same, and tree-sitter must accept them.
patterns() { sed -e 's/;.*$//' -e 's/@[a-z.]*/@_/g' -e '/^[[:space:]]*$/d' "$1"; }
if ! diff <(patterns queries/highlights.scm) <(patterns ../helix/highlights.scm); then
  echo "editors/helix/highlights.scm: its patterns differ from queries/highlights.scm (above)" >&2
  exit 1
fi
tree-sitter query ../helix/highlights.scm test/highlight/plugin.mcpc >/dev/null
