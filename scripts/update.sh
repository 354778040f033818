#!/usr/bin/env bash
# One switch for everything the tests compare against: the golden files, the insta snapshots,
# the generated sections of docs/ and the JSON Schema. Review `git diff` afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
./target/debug/corsgen schema > policy.schema.json
CORSGEN_UPDATE=1 INSTA_UPDATE=always cargo test --quiet --test integration -- golden:: docs:: cli::
git status --short
