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
# Arguments (e.g. --filter X) run just those tests.
[ $# -gt 0 ] && exec swift test --skip-build "$@"
# Suites that judge time (deadlines against a stalled server, parallel-vs-serial speed, a
# supervisor's health window, a hung store's timeout, the first look of an in-process exporter
# or `fleet status --watch`, a deploy waiting for its new pods) run after the rest, one test at a
# time: on a 2-core machine the parallel run's own load (servers, chroots, Prometheus) decided
# them, not the code. Both runs print their summary; the script fails if either fails.
timed='FaultServerTests|NginxFetchTests|SupervisorTests|ExporterCacheTests|ExporterServeTests|FleetCommandRunsTests|FleetDeployWaitTests'
rc=0
swift test --skip-build --skip "$timed" || rc=$?
echo "== timing-sensitive suites, one test at a time"
swift test --skip-build --no-parallel --filter "$timed" || rc=$?
exit $rc
