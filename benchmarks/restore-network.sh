#!/usr/bin/env bash
# Restores over the network (nginx on 127.0.0.1), chainsnap against the tools operators use today.
#
#   benchmarks/restore-network.sh [SIZE_MiB]      (default 2048; data kept in $BENCH_DIR)
#
# A generated pebble-like data folder (benchmarks/gen_pebble.py) is published both as a
# chainsnap snapshot (file store) and as .tar.zst / .tar.lz4 archives, served by nginx on three
# ports: (a) plain HTTP, (b) HTTPS with a CA made here (HTTP/2 offered), (c) plain HTTP with
# `limit_rate 25m`. nginx applies limit_rate per request and lets each request send a second's
# worth (25 MB) before throttling, so clients asking for ranges under 25 MB are barely slowed.
# (d) therefore caps each TCP connection instead, as object stores do: benchmarks/throttle_proxy.py
# (25 MB/s per connection, token bucket, splice) in front of the plain port.
# For each, a full restore (download, verify, decompress, write, then `sync`) by
#   chainsnap snapshot restore --from http(s)://…/store            (the snapshot)
#   chainsnap snapshot restore --from http(s)://…/node.tar.zst     (the archive, streamed)
#   aria2c -x16 -s16, then tar -I zstd -xf
#   axel -n 16, then tar -I zstd -xf
#   rclone copyurl --multi-thread-streams 16, then tar -I zstd -xf
#   curl | zstd -d | tar -x
# prints time, MB/s of restored bytes, peak RSS, and chainsnap / best-peer ratios.
# Peers that are not installed are skipped (apt-get install aria2 axel rclone time).
# Env: BENCH_DIR (work folder; needs about 6x SIZE of free disk), CONNECTIONS (16), CHAINSNAP_BIN (skip
# the release build), MODES (default "plain tls limited capped").
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-2048}
B=${BENCH_DIR:-/tmp/chainsnap-bench-net}
N=${CONNECTIONS:-16}
mkdir -p "$B"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "needs nginx: apt-get install nginx-light" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -n "${CHAINSNAP_BIN:-}" ]; then
  BIN=$CHAINSNAP_BIN
else
  swift build -c release >"$B/build.log" 2>&1 || { tail -30 "$B/build.log"; exit 1; }
  BIN=$PWD/.build/release/chainsnap
fi

# --- data, snapshot and archives ------------------------------------------------------------
DATA=$B/data-$SIZE
WWW=$B/www-$SIZE
[ -d "$DATA" ] || python3 benchmarks/gen_pebble.py "$DATA" "$SIZE"
BYTES=$(du -sb "$DATA" | cut -f1)
if [ ! -e "$WWW/.ready" ]; then
  rm -rf "$WWW"; mkdir -p "$WWW"
  "$BIN" snapshot create "$DATA" --to "file://$WWW/store" --network bench >/dev/null 2>"$B/create.log" \
    || { cat "$B/create.log"; exit 1; }
  tar -cf - -C "$DATA" . | zstd -3 -T0 -q -o "$WWW/node.tar.zst"
  tar -cf - -C "$DATA" . | lz4 -q -1 - "$WWW/node.tar.lz4"
  touch "$WWW/.ready"
fi

# --- nginx: plain, TLS (own CA), limit_rate ---------------------------------------------------
NG=$B/nginx
rm -rf "$NG"; mkdir -p "$NG/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$NG/ca.key" \
  -out "$NG/ca.pem" -days 2 -subj "/CN=chainsnap bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$NG/server.key" \
  -out "$NG/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$NG/ext.cnf"
openssl x509 -req -in "$NG/server.csr" -CA "$NG/ca.pem" -CAkey "$NG/ca.key" -CAcreateserial \
  -out "$NG/server.pem" -days 2 -extfile "$NG/ext.cnf" 2>/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P_PLAIN=$(free_port); P_TLS=$(free_port); P_LIM=$(free_port); P_CAP=$(free_port)
USERLINE=""; [ "$(id -u)" -eq 0 ] && USERLINE="user root;"
SERVE="root $WWW; autoindex on; autoindex_format json;"
cat > "$NG/nginx.conf" <<EOF
$USERLINE
worker_processes 2;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NG/tmp/body; proxy_temp_path $NG/tmp/proxy; fastcgi_temp_path $NG/tmp/fcgi;
  uwsgi_temp_path $NG/tmp/uwsgi; scgi_temp_path $NG/tmp/scgi;
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  server { listen 127.0.0.1:$P_PLAIN; $SERVE }
  server { listen 127.0.0.1:$P_TLS ssl http2; ssl_certificate $NG/server.pem; ssl_certificate_key $NG/server.key; $SERVE }
  server { listen 127.0.0.1:$P_LIM; limit_rate 25m; $SERVE }
}
EOF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log"
python3 benchmarks/throttle_proxy.py "$P_CAP" "$P_PLAIN" 25000000 > "$NG/proxy.log" 2>&1 &
PROXY=$!
. benchmarks/vm-memory.sh
cleanup() {
  kill $PROXY 2>/dev/null
  "$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" -s stop 2>/dev/null || true
  vm_restore
}
trap cleanup EXIT
vm_prefault $((SIZE * 3)) "$B"
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$P_PLAIN/store/" && break; sleep 0.1; done
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$P_CAP/store/" && break; sleep 0.1; done
MODES=${MODES:-plain tls limited capped}

# --- measuring ---------------------------------------------------------------------------------
# measure NAME CMD...: wall seconds and peak RSS (KiB) of the command and its children.
measure() {
  local name=$1; shift
  rm -rf "$B/out" "$B/dl"; mkdir -p "$B/dl"
  sync
  if /usr/bin/time -f "%e %M" -o "$B/time.$name" bash -c "$*" >/dev/null 2>"$B/log.$name"; then
    read -r SECS RSS < "$B/time.$name"
  else
    echo "  $name failed: $(tail -3 "$B/log.$name")" >&2; SECS=NA; RSS=0
  fi
  eval "T_$name=$SECS; R_$name=$RSS"
  printf '%s\n' "$name $SECS $RSS" >> "$B/results"
}
row() { # name seconds rss
  if [ "$2" = NA ]; then printf "%-44s %s\n" "$1" "failed or skipped"; return; fi
  awk -v n="$1" -v s="$2" -v r="$3" -v b="$BYTES" 'BEGIN {
    printf "%-44s %8.2f s %9.1f MB/s %8.1f MiB RSS\n", n, s, b / s / 1e6, r / 1024 }'
}
have() { command -v "$1" >/dev/null; }
extract="mkdir -p '$B/out' && tar -I zstd -xf '$B/dl/node.tar.zst' -C '$B/out' && sync"
: > "$B/results"
find "$WWW" -type f -exec cat {} + > /dev/null   # same warm page cache for every contender

for mode in $MODES; do
  case $mode in
    plain)   URL=http://127.0.0.1:$P_PLAIN; CA=""; CURLCA="" ;;
    tls)     URL=https://127.0.0.1:$P_TLS;  CA="--ca-file $NG/ca.pem"; CURLCA="--cacert $NG/ca.pem" ;;
    limited) URL=http://127.0.0.1:$P_LIM;   CA=""; CURLCA="" ;;
    capped)  URL=http://127.0.0.1:$P_CAP;   CA=""; CURLCA="" ;;
  esac
  measure "${mode}_cs_snapshot" "'$BIN' snapshot restore --from '$URL/store' $CA --connections $N '$B/out' && sync"
  diff -r -q -x '.chainsnap*' "$DATA" "$B/out" >/dev/null || echo "  WARNING: $mode snapshot restore differs from the source" >&2
  measure "${mode}_cs_archive" "'$BIN' snapshot restore --from '$URL/node.tar.zst' $CA --connections $N '$B/out' && sync"
  diff -r -q -x '.chainsnap*' "$DATA" "$B/out" >/dev/null || echo "  WARNING: $mode archive restore differs from the source" >&2
  if have aria2c; then
    ARIA_CA=""; [ $mode = tls ] && ARIA_CA="--ca-certificate=$NG/ca.pem"
    measure "${mode}_aria2c" "aria2c -q -x16 -s16 -k1M $ARIA_CA -d '$B/dl' -o node.tar.zst '$URL/node.tar.zst' && $extract"
  else eval "T_${mode}_aria2c=NA"; fi
  if have axel; then
    # axel has no CA option; for TLS it is told to skip verification (-k), which only flatters it.
    AXEL_K=""; [ $mode = tls ] && AXEL_K="-k"
    measure "${mode}_axel" "axel -q -n 16 $AXEL_K -o '$B/dl/node.tar.zst' '$URL/node.tar.zst' && $extract"
  else eval "T_${mode}_axel=NA"; fi
  if have rclone; then
    RC_CA=""; [ $mode = tls ] && RC_CA="--ca-cert $NG/ca.pem"
    measure "${mode}_rclone" "rclone copyurl -q $RC_CA --multi-thread-streams 16 --multi-thread-cutoff 1M '$URL/node.tar.zst' '$B/dl/node.tar.zst' && $extract"
  else eval "T_${mode}_rclone=NA"; fi
  measure "${mode}_curl_stream" "mkdir -p '$B/out' && curl -sf $CURLCA '$URL/node.tar.zst' | zstd -d -q | tar -xf - -C '$B/out' && sync"
done

echo
echo "chainsnap network restore: $(du -sh "$DATA" | cut -f1) pebble-like data, $N connections, $(nproc) cores, $(date -u +%F)"
for mode in $MODES; do
  case $mode in
    plain) title="(a) plain HTTP" ;; tls) title="(b) HTTPS" ;;
    limited) title="(c) nginx limit_rate 25m (per request)" ;; capped) title="(d) 25 MB/s per connection (throttle_proxy.py)" ;;
  esac
  echo "== $title"
  for c in cs_snapshot:"chainsnap restore (snapshot)" cs_archive:"chainsnap restore (.tar.zst)" \
           aria2c:"aria2c -x16 -s16 + tar -I zstd" axel:"axel -n 16 + tar -I zstd" \
           rclone:"rclone copyurl 16 streams + tar -I zstd" curl_stream:"curl | zstd -d | tar -x"; do
    key=${c%%:*}; label=${c#*:}
    t=$(eval echo "\${T_${mode}_${key}:-NA}"); r=$(eval echo "\${R_${mode}_${key}:-0}")
    row "$label" "$t" "$r"
  done
  best=$(for k in aria2c axel rclone curl_stream; do eval echo "\${T_${mode}_${k}:-NA}"; done | grep -v NA | sort -g | head -1)
  target=1.3; case $mode in limited|capped) target=1.5 ;; esac
  for k in cs_snapshot:snapshot cs_archive:.tar.zst; do
    cs=$(eval echo "\${T_${mode}_${k%%:*}:-NA}")
    if [ -n "$best" ] && [ "$cs" != NA ]; then
      awk -v a="$best" -v b="$cs" -v w="${k#*:}" -v t="$target" \
        'BEGIN { printf "%-44s %.2fx (target >= %s)\n", "speed, chainsnap " w " / best peer", a / b, t }'
    fi
  done
done
peak=$(awk '$1 ~ /_cs_/ { if ($3 > m) m = $3 } END { print m + 0 }' "$B/results")
awk -v m="$peak" 'BEGIN { printf "peak RSS of any chainsnap restore: %.1f MiB (target < 256 MiB)\n", m / 1024 }'
