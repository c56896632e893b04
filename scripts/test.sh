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

# Runs `swift test ARGS…` with its output line by line. A run that prints nothing for
# $stall_seconds is stuck: the script prints every thread's stack (gdb) and the process tree,
# stops it and fails, so CI says where it hung instead of running out of time.
stall_seconds=${CHAINSNAP_TEST_STALL:-600}
descendants() {
  local c
  for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}
watched_swift_test() {
  local out
  out=$(mktemp)
  stdbuf -oL -eL swift test --skip-build "$@" >"$out" 2>&1 &
  local pid=$!
  tail -n +1 -f --pid=$pid "$out" &
  local tailer=$!
  while kill -0 $pid 2>/dev/null; do
    sleep 10
    if [ $(( $(date +%s) - $(stat -c %Y "$out") )) -ge "$stall_seconds" ] && kill -0 $pid 2>/dev/null; then
      {
        echo "== no test output for $stall_seconds s: the run is stuck. Processes, then every thread's stack:"
        ps -eo pid,ppid,etimes,args --forest | grep -v ' \[' | cut -c1-300 || true
        for t in $(descendants $pid); do
          if command -v gdb >/dev/null && grep -qE 'PackageTests|testing-helper' "/proc/$t/comm" "/proc/$t/cmdline" 2>/dev/null; then
            gdb -p "$t" -batch -ex 'thread apply all bt 25' 2>&1 | grep -E '^(Thread|#)' | cut -c1-240 | head -1500 || true
          fi
        done
        echo "== stopping the stuck run"
      } >>"$out" 2>&1
      kill -KILL $(descendants $pid) $pid 2>/dev/null || true
    fi
  done
  local rc=0
  wait $pid || rc=$?
  wait $tailer 2>/dev/null || true
  # A failure scrolls out of view among hundreds of passing lines (and CI shows only the
  # end of the log): keep its lines for the summary printed last. A swift-testing failure
  # (✘, with up to 6 lines of its message), an XCTest one, or a crash; each line cut to 400
  # characters, since a test's arguments can be a megabyte long.
  awk '/^✘|Fatal error|: error: -\[|error: Exited with/ {n=7}
       n>0 { if (n<7 && $0 ~ /^(◇|✔|↳)/) {n=0; next}; print substr($0,1,400); n-- }' "$out" >>"$failures" || true
  rm -f "$out"
  return $rc
}
# Suites that judge time (deadlines against a stalled server, parallel-vs-serial speed, a
# supervisor's health window, a hung store's timeout, the first look of an in-process exporter
# or `fleet status --watch`, a deploy waiting for its new pods, an exporter's scrape against a hung
# store and Prometheus's 1 s scrapes, a summary's duration against its progress line) run after
# the rest, one test at a time: on a 2-core machine the parallel run's own load (servers, chroots,
# Prometheus, other tests' syncfs) decided them, not the code. Both runs print their summary; the
# script fails if either fails.
timed='FaultServerTests|NginxFetchTests|SupervisorTests|ExporterCacheTests|ExporterServeTests|FleetCommandRunsTests|FleetDeployWaitTests|MonitoringCLITests|SummaryDurationsTests'
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT
rc=0
watched_swift_test --skip "$timed" || rc=$?
echo "== timing-sensitive suites, one test at a time"
watched_swift_test --no-parallel --filter "$timed" || rc=$?
if [ $rc -ne 0 ]; then
  echo "== the run failed; what failed, from both runs above:"
  head -c 20000 "$failures"
fi
exit $rc
