#!/usr/bin/env python3
"""Generates a tree of small files for benchmarks/scale.sh.

    gen_small.py DIR COUNT [SEED]

COUNT files of 512 B - 3.5 KiB in folders of 1,000 (d0000/f000000 ...), contents half
random, half repeated text, so they compress about like the small files of a node volume.
Also `gen_small.py --change DIR PERCENT SEED` rewrites that share of the files in place.
"""
import os
import random
import sys


def body(rng):
    n = rng.randint(512, 3584)
    half = n // 2
    words = b"block receipt header state trie account storage code "
    text = (words * (half // len(words) + 1))[:n - half]
    return rng.randbytes(half) + text


def make(root, count, seed):
    rng = random.Random(seed)
    for i in range(count):
        d = os.path.join(root, "d%04d" % (i // 1000))
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%06d" % i), "wb") as f:
            f.write(body(rng))


def change(root, percent, seed):
    rng = random.Random(seed)
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
                   if not f.startswith(".chainsnap"))
    k = max(1, len(files) * percent // 100)
    for p in rng.sample(files, k):
        with open(p, "wb") as f:
            f.write(body(rng))
    print(k)


if __name__ == "__main__":
    if sys.argv[1] == "--change":
        change(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        make(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
