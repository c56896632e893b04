#!/usr/bin/env bash
# RLP bundle benchmarks (issue 4):
#  1. `chainsnap rlp inspect` scanning speed on a generated RLP stream (target >= 500 MB/s);
#  2. `chainsnap rlp split` (verify every hash link + zstd + SHA-256 + publish to file://) vs
#     `split -b` + `zstd -T0` on the same stream (target: at least as fast);
#  3. `chainsnap rlp export` from the Python test node, in blocks per second (target >= 1,000).
#
# Usage: benchmarks/rlp.sh [SIZE_MB (default 1100)] [WORK_DIR (default /tmp/chainsnap-bench-rlp)]
# CHAINSNAP_BIN=/path/to/chainsnap skips the release build.
# Needs: ./.venv with rlp + eth-hash (scripts/setup.sh), zstd, split. Builds chainsnap in release.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1100}
W=${2:-/tmp/chainsnap-bench-rlp}
PY=./.venv/bin/python3
[ -x "$PY" ] || { echo "run scripts/setup.sh first (needs ./.venv with rlp and eth-hash)" >&2; exit 1; }
mkdir -p "$W"

if [ -n "${CHAINSNAP_BIN:-}" ]; then
  BIN=$CHAINSNAP_BIN
else
  echo "== building chainsnap (release)" >&2
  swift build -c release --scratch-path .build-rlp-release --product chainsnap >&2
  BIN=$(swift build -c release --scratch-path .build-rlp-release --show-bin-path)/chainsnap
fi

STREAM="$W/chain.rlp"
if [ ! -s "$STREAM" ] || [ "$(stat -c %s "$STREAM")" -lt $((SIZE_MB * 1000000)) ]; then
  echo "== generating a ${SIZE_MB} MB RLP chain (London headers, ~200 transactions per block)" >&2
  "$PY" - "$STREAM" "$SIZE_MB" <<'PY'
import os, random, sys
import rlp
from eth_hash.auto import keccak
path, size_mb = sys.argv[1], int(sys.argv[2])
random.seed(4)
def enc_len(n, short, long_):
    if n < 56: return bytes([short + n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([long_ + len(b)]) + b
# A pool of legacy transactions: random signatures (incompressible), repetitive calldata.
addrs = [os.urandom(20) for _ in range(300)]
pool = []
for i in range(6000):
    data = b"" if i % 3 == 0 else (bytes.fromhex("a9059cbb") + b"\0" * 12 + random.choice(addrs) + random.randbytes(32) * random.randint(0, 4))
    tx = [i, 25_000_000_000 + i, 21000 + len(data) * 16, random.choice(addrs), random.randint(0, 10**18), data, 37, os.urandom(32), os.urandom(32)]
    pool.append(rlp.encode(tx))
parent = b"\x11" * 32
target = size_mb * 1_000_000
written = 0
n = 0
with open(path, "wb") as f:
    while written < target:
        n += 1
        txs = b"".join(random.choices(pool, k=200))
        header = [parent, keccak(b"\xc0"), random.choice(addrs), os.urandom(32), os.urandom(32), os.urandom(32),
                  b"\0" * 256, 0, n, 30_000_000, 15_000_000 + n % 1000, 1_700_000_000 + 2 * n, b"bench", os.urandom(32),
                  b"\0" * 8, 25_000_000_000]
        h = rlp.encode(header)
        body = h + enc_len(len(txs), 0xc0, 0xf7) + txs + b"\xc0"
        block = enc_len(len(body), 0xc0, 0xf7) + body
        f.write(block)
        written += len(block)
        parent = keccak(h)
print(n, "blocks", written, "bytes", file=sys.stderr)
PY
fi
BYTES=$(stat -c %s "$STREAM")
MB=$(awk "BEGIN{printf \"%.0f\", $BYTES/1000000}")
cat "$STREAM" > /dev/null  # warm the page cache for every contender alike

secs() { awk "BEGIN{printf \"%.2f\", $2-$1}"; }
now() { date +%s.%N; }

echo "== rlp inspect ($MB MB)" >&2
t0=$(now); "$BIN" rlp inspect "$STREAM" > "$W/inspect.txt"; t1=$(now)
INSPECT_S=$(secs "$t0" "$t1")
INSPECT_RATE=$(awk "BEGIN{printf \"%.0f\", $BYTES/1000000/($t1-$t0)}")
grep -E "^(blocks|links):" "$W/inspect.txt" >&2

echo "== rlp split --part-size 64MiB (verify links + zstd -3 + SHA-256 + publish)" >&2
rm -rf "$W/store"
t0=$(now); "$BIN" rlp split "$STREAM" --to "file://$W/store" --network bench --part-size 64MiB 2>/dev/null; t1=$(now)
SPLIT_S=$(secs "$t0" "$t1")
SPLIT_OUT=$(du -sb "$W/store" | cut -f1)

echo "== split -b 64M + zstd -T0 (no verification)" >&2
rm -rf "$W/plain"; mkdir -p "$W/plain"
t0=$(now); split -b 64M "$STREAM" "$W/plain/chain.rlp." && zstd -T0 -q --rm "$W/plain"/chain.rlp.*; t1=$(now)
BASE_S=$(secs "$t0" "$t1")
BASE_OUT=$(du -sb "$W/plain" | cut -f1)

echo "== rlp export from the test node" >&2
EXPORT_CHAIN="$W/export-chain.rlp"
if [ ! -s "$EXPORT_CHAIN" ]; then
  # 20,000 small blocks: export speed is about requests, not bytes.
  "$PY" - "$EXPORT_CHAIN" <<'PY'
import os, sys, rlp
from eth_hash.auto import keccak
parent = b"\x22" * 32
with open(sys.argv[1], "wb") as f:
    for n in range(1, 20001):
        header = [parent, keccak(b"\xc0"), b"\x01" * 20, os.urandom(32), os.urandom(32), os.urandom(32), b"\0" * 256, 0, n,
                  30_000_000, 21000, 1_700_000_000 + 2 * n, b"", os.urandom(32), b"\0" * 8, 7]
        f.write(rlp.encode([header, [[1, 2, 21000, b"\x02" * 20, 5, b"", 37, os.urandom(32), os.urandom(32)]], []]))
        parent = keccak(rlp.encode(header))
PY
fi
"$PY" Tests/servers/testnode.py --port 0 --chain "$EXPORT_CHAIN" > "$W/node.out" &
NODE=$!
trap 'kill -9 $NODE 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q PORT "$W/node.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/PORT/{print $2}' "$W/node.out")
rm -rf "$W/export-store"
EXPORT_JSON=$("$BIN" rlp export --rpc "http://127.0.0.1:$PORT" --to "file://$W/export-store" --network bench \
  --batch 200 --parallel 4 --blocks-per-part 5000 --json 2>/dev/null)
EXPORT_RATE=$(echo "$EXPORT_JSON" | "$PY" -c 'import json,sys; print(int(json.load(sys.stdin)["blocksPerSecond"]))')
EXPORT_N=$(echo "$EXPORT_JSON" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["blocks"])')

echo
echo "RLP benchmarks ($(nproc) cores; stream $MB MB)"
printf "%-58s %8s s  %6s MB/s\n" "rlp inspect" "$INSPECT_S" "$INSPECT_RATE"
printf "%-58s %8s s  %6s MB/s  -> %s MB\n" "rlp split --part-size 64MiB (links+zstd-3+sha256+publish)" "$SPLIT_S" \
  "$(awk "BEGIN{printf \"%.0f\", $BYTES/1000000/$SPLIT_S}")" "$((SPLIT_OUT / 1000000))"
printf "%-58s %8s s  %6s MB/s  -> %s MB\n" "split -b 64M + zstd -T0" "$BASE_S" \
  "$(awk "BEGIN{printf \"%.0f\", $BYTES/1000000/$BASE_S}")" "$((BASE_OUT / 1000000))"
printf "%-58s %8s blocks/s (%s blocks, batch 200 x 4 in flight)\n" "rlp export from the Python test node" "$EXPORT_RATE" "$EXPORT_N"
