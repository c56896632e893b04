#!/usr/bin/env bash
# `snapshot create` of one tree by one or more chainsnap builds, alternated with
# `tar -c | zstd -3 -T0`, ROUNDS times; prints each contender's sorted times and median.
#
#   benchmarks/create-ab.sh TREE ROUNDS BIN [BIN...]
#   e.g. python3 benchmarks/gen_small.py /tmp/t100k 100000 1
#        benchmarks/create-ab.sh /tmp/t100k 7 ./before/chainsnap .build-release/release/chainsnap
#
# Alternating cancels slow drifts of a shared machine; `sync` before every command keeps one
# contender's dirty pages out of the next one's time (create ends with a syncfs). Stores and
# archives go to $BENCH_DIR and are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,6p' "$0" >&2; exit 64; }
tree=$1 rounds=$2; shift 2
B=${BENCH_DIR:-/tmp/chainsnap-create-ab}
mkdir -p "$B"
. benchmarks/vm-memory.sh
trap vm_restore EXIT
out=$B/times.txt
: > "$out"
find "$tree/" -type f -print0 | xargs -0 cat > /dev/null   # the same warm page cache for all
for r in $(seq "$rounds"); do
  k=0
  for bin in "$@"; do
    k=$((k + 1))
    sync
    /usr/bin/time -f "%e" -o "$B/t" "$bin" snapshot create "$tree" --to "file://$B/store-$k-$r" >/dev/null 2>&1
    echo "chainsnap#$k $(cat "$B/t")" >> "$out"
  done
  sync
  /usr/bin/time -f "%e" -o "$B/t" bash -c "tar -C '$tree' -cf - . | zstd -3 -T0 -q -o '$B/peer-$r.tar.zst' -f"
  echo "tar|zstd $(cat "$B/t")" >> "$out"
done
k=0
for bin in "$@"; do k=$((k + 1)); echo "chainsnap#$k = $bin"; done
for c in $(cut -d' ' -f1 "$out" | sort -u); do
  times=$(awk -v c="$c" '$1 == c { print $2 }' "$out" | sort -n)
  median=$(echo "$times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '%-12s median %6.2f s   all: %s\n' "$c" "$median" "$(echo $times)"
done
rm -rf "$B"/store-* "$B"/peer-*.tar.zst
