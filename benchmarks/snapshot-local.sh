#!/usr/bin/env bash
# Volume snapshots on the local (file://) store, side by side with what operators script today.
#
#   benchmarks/snapshot-local.sh [SIZE_MiB]      (default 2048; data kept in $BENCH_DIR)
#
# One run, one machine: a generated pebble-like data folder (benchmarks/gen_pebble.py) is
#   1. snapshotted by `chainsnap snapshot create`   vs  `tar -c | zstd -3 -T0`
#   2. restored by `chainsnap snapshot restore`     vs  `zstd -d | tar -x`   (both followed by sync)
#   3. snapshotted again after 1% of its files changed (incremental)
# and prints time, MB/s, compression ratio, peak RSS and chainsnap/peer ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-2048}
B=${BENCH_DIR:-/tmp/chainsnap-bench}
mkdir -p "$B"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then   # BIN=path/to/chainsnap compares another build
  swift build -c release >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; exit 1; }
  BIN=$PWD/.build/release/chainsnap
fi
DATA=$B/data-$SIZE
[ -d "$DATA" ] || python3 benchmarks/gen_pebble.py "$DATA" "$SIZE"
BYTES=$(du -sb "$DATA" | cut -f1)

# measure NAME CMD...: wall seconds and peak RSS (KiB) of the command and its children.
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e %M" -o "$B/time.$name" bash -c "$*" >/dev/null 2>"$B/log.$name" || { cat "$B/log.$name"; exit 1; }
  read -r SECS RSS < "$B/time.$name"
  eval "T_$name=$SECS; R_$name=$RSS"
}
row() { # name seconds rss bytes [stored]
  awk -v n="$1" -v s="$2" -v r="$3" -v b="$4" -v st="${5:-}" 'BEGIN {
    printf "%-34s %8.2f s %9.1f MB/s %8.1f MiB RSS", n, s, b / s / 1e6, r / 1024
    if (st != "") printf "   ratio %.3f", b / st
    printf "\n" }'
}
ratio() { awk -v a="$2" -v b="$3" -v n="$1" 'BEGIN { printf "%-48s %.2fx\n", n, a / b }'; }

. benchmarks/vm-memory.sh
trap vm_restore EXIT
vm_prefault $((SIZE * 3)) "$B"
cat "$DATA"/*.sst > /dev/null   # same warm page cache for every contender
rm -rf "$B/store" "$B/peer.tar.zst" "$B/out-cs" "$B/out-peer" "$B/data-inc"

measure create "'$BIN' snapshot create '$DATA' --to 'file://$B/store' --network bench"
STORED=$(du -sb "$B/store/chunks" | cut -f1)
measure tarzstd "tar -cf - -C '$DATA' . | zstd -3 -T0 -q -o '$B/peer.tar.zst'"
PEER=$(stat -c %s "$B/peer.tar.zst")

measure restore "'$BIN' snapshot restore --from 'file://$B/store' '$B/out-cs' && sync"
mkdir -p "$B/out-peer"
measure untar "zstd -d -c -q '$B/peer.tar.zst' | tar -xf - -C '$B/out-peer' && sync"
diff -r -x .chainsnap-restore.json "$DATA" "$B/out-cs" >/dev/null || { echo "restored tree differs!" >&2; exit 1; }

# Incremental: rewrite 1% of the .sst files (LSM compaction adds and drops whole files).
cp -a "$DATA" "$B/data-inc"
n=$(ls "$B/data-inc"/*.sst | wc -l); k=$(( (n + 99) / 100 ))
for f in $(ls "$B/data-inc"/*.sst | head -n "$k"); do python3 benchmarks/gen_pebble.py "$B/regen" "$(( $(stat -c %s "$f") >> 20 ))" 7 2>/dev/null; mv "$(ls "$B"/regen/*.sst | head -n1)" "$f"; rm -rf "$B/regen"; done
CHANGED=$(ls "$B/data-inc"/*.sst | head -n "$k" | xargs du -cb | tail -1 | cut -f1)
cat "$B/data-inc"/*.sst > /dev/null
measure incr "'$BIN' snapshot create '$B/data-inc' --to 'file://$B/store' --network bench"

echo
echo "chainsnap benchmark: $(du -sh "$DATA" | cut -f1) pebble-like data ($(ls "$DATA"/*.sst | wc -l) sst files), $(nproc) cores, $(date -u +%F)"
row "chainsnap snapshot create" "$T_create" "$R_create" "$BYTES" "$STORED"
row "tar -c | zstd -3 -T0" "$T_tarzstd" "$R_tarzstd" "$BYTES" "$PEER"
row "chainsnap snapshot restore + sync" "$T_restore" "$R_restore" "$BYTES"
row "zstd -d | tar -x + sync" "$T_untar" "$R_untar" "$BYTES"
row "chainsnap incremental (1% changed)" "$T_incr" "$R_incr" "$BYTES"
echo "  incremental changed $k files, $(( CHANGED >> 20 )) MiB; $(grep -o 'wrote [0-9]* new chunks[^,]*' "$B/log.incr" | head -1)"
echo
ratio "create speed, chainsnap / tar|zstd (target >= 1.0)" "$T_tarzstd" "$T_create"
ratio "compression ratio, chainsnap / tar|zstd (target >= 0.95)" "$PEER" "$STORED"
ratio "restore speed, chainsnap / zstd|tar (target >= 1.3)" "$T_untar" "$T_restore"
awk -v a="$T_incr" -v b="$T_create" 'BEGIN { printf "%-48s %.1f%%\n", "incremental time / full time (target < 10%)", 100 * a / b }'
awk -v r="$R_create" -v s="$R_restore" 'BEGIN { printf "%-48s %.0f / %.0f MiB\n", "peak RSS create / restore (target < 256)", r / 1024, s / 1024 }'
