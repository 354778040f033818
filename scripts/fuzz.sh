#!/usr/bin/env bash
# The long fuzzing run, outside CI: parse + validate, render and CLI error paths at the counts
# below (override with the environment variables). Results go to stderr; record them in
# docs/benchmarks.md's fuzzing section with the command that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CORSGEN_FUZZ_PARSE="${CORSGEN_FUZZ_PARSE:-1000000}"
export CORSGEN_FUZZ_RENDER="${CORSGEN_FUZZ_RENDER:-100000}"
export CORSGEN_FUZZ_CLI="${CORSGEN_FUZZ_CLI:-10000}"
exec cargo test --release --locked --test integration fuzz:: -- --ignored --nocapture --test-threads 1
