#!/usr/bin/env bash
# Runs every check the project has, installing what the tests need when it is missing.
# Tests that need a runtime (python3, node) fail loudly without it; they never skip.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have python3 || missing+=(python3)
have node || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${missing[@]}"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "node $node_major is too old: the generated ES module and its tests need node 18 or later" >&2
  exit 1
fi
echo "python3: $(python3 --version 2>&1), node: $(node --version)"

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
