#!/usr/bin/env python3
"""Generates a folder shaped like a pebble/leveldb data dir: a few hundred immutable
.sst files of 2-64 MiB that zstd -3 compresses about 2.5x, plus small metadata files.

usage: gen_pebble.py DIR [TOTAL_MiB] [SEED]
"""
import os, random, sys

def block(rng, words):
    # 64 KiB: ~33% random bytes (keys, hashes) and ~67% repetitive records (RLP-ish values).
    rand = os.urandom(21 * 1024)
    text = b"".join(rng.choice(words) for _ in range(800))[: 43 * 1024]
    return rand + text.ljust(43 * 1024, b"\0")

def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    words = [bytes(f"acct{rng.randrange(10**6):06d}:bal={rng.randrange(10**12)};nonce={rng.randrange(999)}|", "ascii") for _ in range(4000)]
    os.makedirs(out, exist_ok=True)
    written, n = 0, 0
    while written < total << 20:
        size_mib = rng.choice([2, 2, 4, 4, 8, 8, 16, 32, 64])
        n += 1
        with open(os.path.join(out, f"{n:06d}.sst"), "wb") as f:
            for _ in range(size_mib * 16):
                f.write(block(rng, words))
        written += size_mib << 20
    for name, size in [("CURRENT", 16), ("LOCK", 0), ("OPTIONS-000007", 7000), ("MANIFEST-000005", 300_000)]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(os.urandom(size // 2) + b"x" * (size - size // 2))
    os.makedirs(os.path.join(out, "ancient"), exist_ok=True)
    for i in range(200):
        with open(os.path.join(out, "ancient", f"meta.{i:04d}"), "wb") as f:
            f.write(block(rng, words)[: rng.randrange(100, 20000)])
    print(f"{out}: {n} sst files, {written >> 20} MiB + small files", file=sys.stderr)

if __name__ == "__main__":
    main()
