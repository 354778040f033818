#!/usr/bin/env bash
# Runs every check the project has, installing what the tests need when it is missing.
# Tests that need a runtime (python3, node) fail loudly without it; they never skip.
set -euo pipefail
export PATH="$HOME/.local/bin:$PATH"
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have python3 || missing+=(python3 python3-pip)
have node || missing+=(nodejs)
have java || missing+=(default-jre-headless)
# Apache Velocity 1.7, the template engine family API Gateway runs mapping templates in.
[ -f /usr/share/java/velocity.jar ] || missing+=(velocity)
# Debian's Chromium: the real browser whose verdicts and console messages `check` must match.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Firefox ESR and WebKitGTK (its MiniBrowser, run under Xvfb): the other two engines whose
# verdicts and console messages `check --browser` models.
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] || missing+=(libwebkit2gtk-4.1-0)
have xvfb-run || missing+=(xvfb xauth)
# groff reads `corsgen man`'s page; bash parses `corsgen completions bash`.
have groff || missing+=(groff-base)
have bash || missing+=(bash)
# `script` gives the colour test a terminal.
have script || missing+=(bsdutils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi

# Validators for the generated infrastructure code (PyPI).
pip_missing=()
have cfn-lint || pip_missing+=(cfn-lint)
have openapi-spec-validator || pip_missing+=(openapi-spec-validator)
python3 -c 'import hcl2' 2>/dev/null || pip_missing+=(python-hcl2)
python3 -c 'import yaml' 2>/dev/null || pip_missing+=(pyyaml)
python3 -c 'import samtranslator' 2>/dev/null || pip_missing+=(aws-sam-translator)
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "installing from PyPI: ${pip_missing[*]}"
  python3 -m pip install --quiet "${pip_missing[@]}" ||
    python3 -m pip install --quiet --break-system-packages "${pip_missing[@]}"
  hash -r
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "node $node_major is too old: the generated ES module and its tests need node 18 or later" >&2
  exit 1
fi
# npm packages, pinned by tests/harness/package-lock.json: acorn, the ES5 / ES2017 parser that
# checks the CloudFront Functions against their runtime's language version; playwright-core,
# which drives /usr/bin/chromium in the real-browser test, and puppeteer-core, which drives
# /usr/bin/firefox-esr there over WebDriver BiDi (neither downloads a browser); mermaid,
# whose parser checks the generated READMEs' diagrams in that Chromium; aws-cdk-lib, constructs
# and typescript, which type-check and synthesize the sample apps using the generated CDK
# module; serverless (v3), which packages the sample services using the generated fragment.
# They are installed once per lock file under ~/.cache/corsgen and linked into tests/harness.
lock_digest=$(sha256sum tests/harness/package-lock.json | cut -c1-16)
npm_cache="${XDG_CACHE_HOME:-$HOME/.cache}/corsgen/npm-$lock_digest"
if [ ! -f "$npm_cache/node_modules/acorn/package.json" ] ||
  [ ! -f "$npm_cache/node_modules/playwright-core/package.json" ] ||
  [ ! -f "$npm_cache/node_modules/puppeteer-core/package.json" ] ||
  [ ! -f "$npm_cache/node_modules/mermaid/package.json" ] ||
  [ ! -f "$npm_cache/node_modules/aws-cdk-lib/package.json" ] ||
  [ ! -f "$npm_cache/node_modules/typescript/bin/tsc" ] ||
  [ ! -f "$npm_cache/node_modules/serverless/package.json" ]; then
  have npm || { as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq npm; }
  echo "installing from npm: acorn, playwright-core, puppeteer-core, mermaid, aws-cdk-lib, constructs, typescript, serverless (into $npm_cache)"
  mkdir -p "$npm_cache"
  cp tests/harness/package.json tests/harness/package-lock.json "$npm_cache/"
  npm ci --prefix "$npm_cache" --no-audit --no-fund --silent
fi
if [ -d tests/harness/node_modules ] && [ ! -L tests/harness/node_modules ]; then
  rm -rf tests/harness/node_modules # an install from before the cache; the cache replaces it
fi
ln -sfn "$npm_cache/node_modules" tests/harness/node_modules
# LocalStack, the AWS emulator the deployed-artifact tests run, needs Python 3.13 (the machines
# have it under pyenv; no package registry can install it). It is installed once per pin file
# under ~/.cache/corsgen, into a virtual environment linked into tests/harness.
ls_digest=$(sha256sum tests/harness/localstack-requirements.txt | cut -c1-16)
ls_cache="${XDG_CACHE_HOME:-$HOME/.cache}/corsgen/localstack-$ls_digest"
if [ ! -x "$ls_cache/bin/python" ] || ! "$ls_cache/bin/python" -c "import localstack, boto3" 2>/dev/null; then
  py313=""
  for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      py313=$candidate
      break
    fi
  done
  if [ -z "$py313" ]; then
    echo "LocalStack needs Python 3.13, and none was found (python3.13 on PATH or ~/.pyenv/versions/3.13*): install it, then run scripts/test.sh again" >&2
    exit 1
  fi
  echo "installing LocalStack into $ls_cache (pins: tests/harness/localstack-requirements.txt)"
  rm -rf "$ls_cache"
  "$py313" -m venv "$ls_cache"
  "$ls_cache/bin/pip" install -q --disable-pip-version-check -r tests/harness/localstack-requirements.txt
fi
ln -sfn "$ls_cache" tests/harness/localstack-venv
echo "python3: $(python3 --version 2>&1), node: $(node --version), java: $(java -version 2>&1 | head -1)"
echo "cfn-lint: $(cfn-lint --version), openapi-spec-validator: $(openapi-spec-validator --version 2>&1 | head -1)"
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1), firefox: $(/usr/bin/firefox-esr --version 2>/dev/null | head -1), webkitgtk: $(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null)"

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
