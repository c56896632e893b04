#!/usr/bin/env bash
# How chainsnap's cost grows with the file count, side by side with tar and zstd.
#
#   benchmarks/scale.sh                       (SIZES="10000 100000 1000000", LARGE_MIB=1024)
#   SIZES="10000 100000" LARGE_MIB=0 benchmarks/scale.sh
#
# For each tree of SIZES small files (512 B - 3.5 KiB, 1,000 per folder; benchmarks/gen_small.py)
# and a tree of LARGE_MIB MiB of large pebble-like files (benchmarks/gen_pebble.py, 0 = skip):
#   create    `chainsnap snapshot create`               vs `tar -c | zstd -3 -T0`
#   restore   `chainsnap snapshot restore` + sync       vs `zstd -d | tar -x` + sync
#   verify    `chainsnap snapshot verify --deep`        vs `zstd -d | tar -t`
#   delta     1% of the files rewritten, then an incremental create and a
#             `restore --reuse-existing` over the first restore + sync
#             vs `tar | zstd` of the changed tree and `zstd -d | tar -x` over the old one + sync
# with wall time, peak RSS (GNU time: the largest process of the pipeline) and the 1-minute
# load average when each command started (the machine may be shared: compare the ratios of
# one run, not absolute times across runs). Data stays in $BENCH_DIR; the binary is built with
# `swift build -c release --scratch-path .build-release` unless BIN is set.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10000 100000 1000000"}
LARGE_MIB=${LARGE_MIB:-1024}
B=${BENCH_DIR:-/tmp/chainsnap-scale}
mkdir -p "$B"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  swift build -c release --scratch-path .build-release >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; exit 1; }
  BIN=$PWD/.build-release/release/chainsnap
fi
OUT=$B/results.txt
: > "$OUT"

# measure TREE NAME CMD...: wall seconds, peak RSS (KiB) and load average, appended to $OUT.
measure() {
  local tree=$1 name=$2; shift 2
  sync
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M" -o "$B/time" bash -c "$*" >"$B/log.$tree.$name" 2>&1 || { cat "$B/log.$tree.$name"; exit 1; }
  read -r secs rss < "$B/time"
  echo "$tree $name $secs $rss $load" >> "$OUT"
  printf '%-8s %-16s %8.2f s %8.1f MiB  load %s\n' "$tree" "$name" "$secs" "$(awk -v r="$rss" 'BEGIN{print r/1024}')" "$load" >&2
}

run_tree() { # LABEL DATA FILES
  local t=$1 data=$2 files=$3 w=$B/run-$1
  rm -rf "$w"; mkdir -p "$w/peer"
  find "$data/" -type f -print0 | xargs -0 cat > /dev/null   # same warm page cache for both
  measure "$t" create "'$BIN' snapshot create '$data' --to 'file://$w/store' --network bench"
  local stored; stored=$(du -sb "$w/store/chunks" | cut -f1)   # before the incremental adds to it
  measure "$t" tarzstd "tar -cf - -C '$data' . | zstd -3 -T0 -q -o '$w/peer.tar.zst'"
  measure "$t" restore "'$BIN' snapshot restore --from 'file://$w/store' '$w/out' && sync"
  measure "$t" untar "zstd -d -c -q '$w/peer.tar.zst' | tar -xf - -C '$w/peer' && sync"
  diff -r -q -x .chainsnap-restore.json "$data" "$w/out" >/dev/null || { echo "$t: restored tree differs!" >&2; exit 1; }
  measure "$t" verify "'$BIN' snapshot verify 'file://$w/store' --deep"
  measure "$t" zstdtest "zstd -d -c -q '$w/peer.tar.zst' | tar -tf - >/dev/null"
  # Delta: 1% of the files rewritten in a copy of the tree.
  rm -rf "$w/changed"; cp -a "$data" "$w/changed"
  if [ "$t" = large ]; then
    for f in $(ls "$w/changed"/*.sst | head -n $(( ($(ls "$w/changed"/*.sst | wc -l) + 99) / 100 ))); do
      head -c "$(stat -c %s "$f")" /dev/urandom > "$f"; done
  else
    python3 benchmarks/gen_small.py --change "$w/changed" 1 7 >/dev/null
  fi
  find "$w/changed" -type f -print0 | xargs -0 cat > /dev/null
  measure "$t" incr-create "'$BIN' snapshot create '$w/changed' --to 'file://$w/store' --network bench"
  measure "$t" incr-tarzstd "tar -cf - -C '$w/changed' . | zstd -3 -T0 -q -o '$w/peer2.tar.zst'"
  measure "$t" delta-restore "'$BIN' snapshot restore --reuse-existing --from 'file://$w/store' '$w/out' && sync"
  measure "$t" delta-untar "zstd -d -c -q '$w/peer2.tar.zst' | tar -xf - -C '$w/peer' && sync"
  diff -r -q -x .chainsnap-restore.json "$w/changed" "$w/out" >/dev/null || { echo "$t: delta-restored tree differs!" >&2; exit 1; }
  echo "$t stored $stored $(stat -c %s "$w/peer.tar.zst") $(find "$data/" -type f -printf '%s\n' | awk '{s += $1} END {print s}') $files" >> "$OUT"
  rm -rf "$w/peer" "$w/changed" "$w/out"
}

for n in $SIZES; do
  d=$B/small-$n
  [ -f "$d.done" ] || { rm -rf "$d"; python3 benchmarks/gen_small.py "$d" "$n" 1; touch "$d.done"; }
  run_tree "$n" "$d" "$n"
done
if [ "$LARGE_MIB" -gt 0 ]; then
  d=$B/large-$LARGE_MIB
  [ -d "$d" ] || python3 benchmarks/gen_pebble.py "$d" "$LARGE_MIB"
  run_tree large "$d" "$(find "$d" -type f | wc -l)"
fi

echo
echo "chainsnap scale benchmark, $(nproc) cores, $(date -u +%F), $(git rev-parse --short HEAD 2>/dev/null)"
awk '
  $2 == "stored" { stored[$1] = $3; peer[$1] = $4; bytes[$1] = $5; files[$1] = $6; next }
  { t[$1, $2] = $3; r[$1, $2] = $4 / 1024; l[$1, $2] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END {
    printf "| tree | files | step | chainsnap s | peer s | chainsnap/peer speed | chainsnap RSS MiB | peer RSS MiB | load |\n"
    printf "|---|---|---|---|---|---|---|---|---|\n"
    split("create:tarzstd restore:untar verify:zstdtest incr-create:incr-tarzstd delta-restore:delta-untar", pairs, " ")
    for (i = 1; i <= n; i++) {
      k = order[i]
      for (j = 1; j <= 5; j++) {
        split(pairs[j], p, ":")
        printf "| %s | %d | %s | %.2f | %.2f | %.2fx | %.0f | %.0f | %s/%s |\n", k, files[k], p[1], t[k, p[1]], t[k, p[2]],
          t[k, p[2]] / t[k, p[1]], r[k, p[1]], r[k, p[2]], l[k, p[1]], l[k, p[2]]
      }
      printf "| %s | | compression ratio | %.3f | %.3f | %.3f | | | |\n", k, bytes[k] / stored[k], bytes[k] / peer[k], peer[k] / stored[k]
      printf "| %s | | restore cost | %.1f us/file | %.2f s/GB | | | | |\n", k, 1e6 * t[k, "restore"] / files[k], t[k, "restore"] / (bytes[k] / 1e9)
    }
  }' "$OUT"
