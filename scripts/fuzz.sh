#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/Sources) and runs each target for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: rlp manifest bundle tar s3xml codecs
#
# Each run starts from the committed seeds (fuzz/corpus/TARGET) plus what earlier runs found
# (.build-fuzz/corpus/TARGET). A crash leaves its input in .build-fuzz/artifacts/ and makes the
# script exit 1; turn it into a regression test and a seed (fuzz/README.md). scripts/test.sh runs
# `scripts/fuzz.sh 3` so the harnesses keep building and the seeds keep passing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rlp manifest bundle tar s3xml codecs)

# Its own scratch path: the sanitizer flags must not invalidate the normal .build.
start=$(date +%s)
CHAINSNAP_FUZZ=1 swift build --scratch-path .build-fuzz --product chainsnap-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing >&2
echo "fuzz: built .build-fuzz/debug/chainsnap-fuzz in $(( $(date +%s) - start ))s" >&2
bin=.build-fuzz/debug/chainsnap-fuzz
mkdir -p .build-fuzz/artifacts

# A Swift crash runs the backtracer first (slow, and libFuzzer waits): exit at once instead.
export SWIFT_BACKTRACE=enable=no
passed=0 failed=0
for t in "${targets[@]}"; do
    [ -d "fuzz/corpus/$t" ] || { echo "fuzz: unknown target '$t'" >&2; exit 64; }
    work=.build-fuzz/corpus/$t
    mkdir -p "$work"
    log=.build-fuzz/fuzz-$t.log
    # libFuzzer's own limit, and a hard kill in case a stuck run ignores it.
    set +e
    CHAINSNAP_FUZZ_TARGET=$t timeout -s KILL $((seconds + 60)) "$bin" "$work" "fuzz/corpus/$t" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix=".build-fuzz/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    if [ $status -eq 0 ]; then
        passed=$((passed + 1))
        echo "fuzz: $t: ok, $runs inputs in ${seconds}s, coverage $cov edges, corpus $(ls "$work" | wc -l) files" >&2
    else
        failed=$((failed + 1))
        echo "fuzz: $t: FAILED (exit $status) after $runs inputs; input saved as:" >&2
        grep -E 'Test unit written to|Fatal error|ERROR: libFuzzer' "$log" | head -5 >&2 || true
        echo "fuzz: full log: $log" >&2
    fi
done
echo "fuzz: $passed target(s) ok, $failed crashed" >&2
[ $failed -eq 0 ]
