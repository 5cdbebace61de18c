#!/usr/bin/env bash
# Installs the real runtimes the end-to-end tests drive, pinned, into a cache
# folder (default .runtimes/, or $MCPC_RUNTIMES). Idempotent.
set -euo pipefail
dir=${MCPC_RUNTIMES:-"$(cd "$(dirname "$0")/.." && pwd)/.runtimes"}
mkdir -p "$dir"
CODEX_VERSION=0.169.0
if [ ! -x "$dir/node_modules/.bin/codex" ]; then
  npm install --prefix "$dir" --no-audit --no-fund "@openai/codex@$CODEX_VERSION" >/dev/null
fi
echo "codex $CODEX_VERSION in $dir"
