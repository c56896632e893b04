#!/usr/bin/env bash
# The main job on the embedded default store, with nothing else running:
# installs what is needed, builds chainsnap, generates a sample node data folder,
# snapshots it to a file:// store, changes 1% and snapshots again (incremental),
# restores the newest snapshot into an empty folder, verifies the store and the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== building chainsnap (release)"
swift build -c release 2>&1 | tail -1
BIN=$PWD/.build/release/chainsnap
DEMO=${DEMO_DIR:-$PWD/demo}
rm -rf "$DEMO"; mkdir -p "$DEMO"
echo "== generating a 256 MiB pebble-like data folder in $DEMO/data"
python3 benchmarks/gen_pebble.py "$DEMO/data" 256
STORE="file://$DEMO/store"

echo "== chainsnap snapshot create"
ID1=$("$BIN" snapshot create "$DEMO/data" --to "$STORE" --network devnet --chain-id 96369 --height 1000 --label demo=yes)
echo "   snapshot id: $ID1"
echo "== one file changes; a second snapshot stores only the new chunks"
python3 benchmarks/gen_pebble.py "$DEMO/regen" 4 42 2>/dev/null
mv "$DEMO/regen/000001.sst" "$DEMO/data/000001.sst"; rm -rf "$DEMO/regen"
ID2=$("$BIN" snapshot create "$DEMO/data" --to "$STORE" --network devnet --chain-id 96369 --height 1100 --label demo=yes)
echo "== chainsnap snapshot list"
"$BIN" snapshot list "$STORE"
echo "== chainsnap snapshot restore (latest = $ID2)"
"$BIN" snapshot restore --from "$STORE" "$DEMO/restored"
echo "== a second restore of the same snapshot is a no-op"
"$BIN" snapshot restore --from "$STORE" "$DEMO/restored"
echo "== chainsnap snapshot verify --deep"
"$BIN" snapshot verify "$STORE" --deep
diff -r -x .chainsnap-restore.json "$DEMO/data" "$DEMO/restored" && echo "== restored tree is identical to the source: OK"
