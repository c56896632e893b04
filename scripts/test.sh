#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: unit tests, round trips through the
# zstd/lz4/tar tools, real nginx and SeaweedFS servers on 127.0.0.1, the Helm chart checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Servers and tools the suite needs are installed above: a missing one is a failure, not a skip.
export CHAINSNAP_REQUIRE_SERVERS=1
export PATH="$PWD/.venv/bin:$PATH"
swift build --build-tests
# Every libFuzzer harness builds and runs its seeds plus 3 s of fuzzing (fuzz/README.md).
scripts/fuzz.sh 3
exec swift test --skip-build "$@"
