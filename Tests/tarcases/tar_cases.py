#!/usr/bin/env python3
"""Builds the archives of the archive compatibility test and describes restored trees.

    tar_cases.py tree KIND DIR            write a source tree of KIND into DIR (created)
    tar_cases.py python FORMAT KIND OUT   a tar of a KIND tree written by Python's tarfile
                                          (FORMAT: ustar, gnu, pax)
    tar_cases.py crafted NAME OUT         a hand-built archive (old-tar quirks, hostile entries)
    tar_cases.py digest DIR [SKIP...]     one line per entry under DIR, sorted by name bytes:
                                          name, type, size, SHA-256, symlink target, mode, mtime
                                          (ns), hard-link group. Names are printed escaped
                                          (Python's bytes repr), so any name can be compared.

Everything is generated here, deterministically; nothing is copied from other test corpora.
"""
import hashlib
import io
import os
import random
import stat
import sys
import tarfile

MTIME = 1_600_000_000


def set_mtime(path, i, nanos=True):
    t = (MTIME + i * 3607) * 1_000_000_000 + (123_456_789 * (i + 1) % 1_000_000_000 if nanos else 0)
    os.utime(path, ns=(t, t), follow_symlinks=False)


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def finish_tree(root, nanos=True):
    """Fixed mtimes for everything, deepest first (writing into a folder changes its mtime)."""
    paths = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            paths.append(os.path.join(d, n))
    paths.sort(key=lambda p: (-p.count(b"/"), p))
    for i, p in enumerate(paths):
        set_mtime(p, i, nanos)


def tree(kind, root):
    root = os.fsencode(root)
    os.makedirs(root, exist_ok=True)
    rng = random.Random(kind)
    j = lambda *parts: os.path.join(root, *[os.fsencode(p) if isinstance(p, str) else p for p in parts])
    if kind in ("basic", "v7"):
        os.makedirs(j("chaindata/ancient"))
        os.makedirs(j("empty-dir"))
        for i, size in enumerate([0, 1, 511, 512, 513, 10240, 100_003]):
            write(j("chaindata/%06d.sst" % i), rng.randbytes(size), [0o644, 0o600, 0o640, 0o444][i % 4])
        write(j("chaindata/ancient/bodies.cdat"), b"a" * 300_000 + rng.randbytes(5000), 0o640)
        write(j("run.sh"), b"#!/bin/sh\necho hi\n", 0o755)
        os.link(j("run.sh"), j("run-hardlink.sh"))
        os.link(j("chaindata/000006.sst"), j("chaindata/ancient/same-as-6.sst"))
        os.link(j("chaindata/000006.sst"), j("third-name.sst"))
        os.symlink(b"chaindata/000001.sst", j("current"))
        os.symlink(b"../../run.sh", j("chaindata/ancient/run-link"))
        os.symlink(b"not-there-yet", j("dangling"))
        os.chmod(j("chaindata/ancient"), 0o750)
        os.chmod(j("empty-dir"), 0o700)
        finish_tree(root, nanos=kind != "v7")
    elif kind == "long":
        deep = "/".join(["folder-%02d-%s" % (i, "d" * 20) for i in range(12)])
        os.makedirs(j(deep))
        write(j("n" * 100), b"exactly 100\n")
        write(j("n" * 101), b"101\n")
        write(j(deep, "f" * 200 + ".dat"), rng.randbytes(3000))
        write(j("é" * 60 + ".txt"), "unicode, 120 bytes of name\n".encode())
        os.symlink(os.fsencode(deep + "/" + "f" * 200 + ".dat"), j("long-target-link"))
        os.link(j(deep, "f" * 200 + ".dat"), j("g" * 150))
        os.link(j("n" * 101), j(deep, "h" * 180))
        finish_tree(root)
    elif kind == "ustar-long":
        deep = "/".join(["folder-%02d-%s" % (i, "d" * 10) for i in range(7)])  # ~160 bytes: the ustar prefix
        os.makedirs(j(deep))
        write(j(deep, "f" * 90), rng.randbytes(700))
        write(j("n" * 100), b"exactly 100\n")
        os.symlink(b"n" * 99, j("link-99"))
        write(j("a-short"), b"linked from deep inside\n")
        os.link(j("a-short"), j(deep, "h" * 90))  # the link entry has the long name, its target fits
        finish_tree(root)
    elif kind == "nonutf8":
        names = [
            "Привет.txt".encode("cp866"), "Привет.txt".encode("koi8_r"), "caf\u00e9.txt".encode("latin-1"),
            "日本語.txt".encode("euc_jp"), b"\xe9t\xe9", b"\xe8t\xe8",  # these two collapse if decoded lossily
            b"ok-utf8-\xc3\xa9", b"ctl-\x1b[31m-\x07",
        ]
        for i, n in enumerate(names):
            write(j(n), ("file %d: %r\n" % (i, n)).encode(), 0o644)
        os.makedirs(j(b"dir-\xff\xfe"))
        write(j(b"dir-\xff\xfe", b"inner-\xa0"), b"inside a non-UTF-8 folder\n")
        os.symlink(b"caf\xe9.txt", j(b"link-\xe9"))
        os.link(j(b"\xe9t\xe9"), j(b"hard-\xe9t\xe9"))
        finish_tree(root)
    elif kind == "fifo":
        write(j("regular"), b"data\n")
        os.mkfifo(j("a-fifo"))
        finish_tree(root)
    elif kind == "setid":
        write(j("suid-tool"), b"#!/bin/sh\n", 0o755)
        os.chmod(j("suid-tool"), 0o4755)
        os.makedirs(j("shared"))
        os.chmod(j("shared"), 0o2775)
        os.makedirs(j("tmp"))
        os.chmod(j("tmp"), 0o1777)
        finish_tree(root)
    elif kind == "sparse":
        with open(j("sparse.img"), "wb") as f:
            f.write(b"start")
            f.seek(64 << 20)
            f.write(b"end")
        finish_tree(root)
    else:
        raise SystemExit("unknown tree kind " + kind)


FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}


def python_tar(fmt, kind, out):
    src = out + ".src"
    tree(kind, src)
    # Depth first, names sorted (tarfile's own recursion), as tar tools write archives.
    with tarfile.open(out, "w", format=FORMATS[fmt], encoding="utf-8", errors="surrogateescape") as t:
        for n in sorted(os.listdir(src)):
            t.add(os.path.join(src, n), arcname=n, recursive=True)


def header(name, typ=b"0", size=0, link=b"", magic="ustar", mode=0o644, raw_size=None, mtime=MTIME):
    """One 512-byte header; magic 'ustar' (POSIX), 'gnu' or 'v7' (none)."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = raw_size if raw_size is not None else b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[156:157] = typ
    h[157:157 + len(link)] = link
    if magic == "ustar":
        h[257:265] = b"ustar\x0000"
    elif magic == "gnu":
        h[257:265] = b"ustar  \0"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def data(b):
    return b + b"\0" * (-len(b) % 512)


END = b"\0" * 1024


def crafted(name, out):
    if name == "v7-dir-with-size":  # old tars: 'dir/' as a regular-file entry, size set, no data
        b = header(b"d/", b"\0", 1000, magic="v7") + header(b"d/f", b"\0", 5, magic="v7") + data(b"hello")
        b += header(b"d/g", b"0", 3, magic="v7") + data(b"abc") + END
    elif name == "dir-with-size":
        b = header(b"d/", b"5", 4096) + header(b"d/f", b"0", 5) + data(b"hello") + END
    elif name == "hardlink-with-size":  # old tars: a hard link carrying the linked file's size, no data
        b = header(b"f", b"0", 5) + data(b"hello") + header(b"g", b"1", 5, link=b"f")
        b += header(b"h", b"0", 3) + data(b"abc") + END
    elif name == "v7-hardlink-with-size":
        b = header(b"f", b"0", 5, magic="v7") + data(b"hello") + header(b"g", b"1", 5, link=b"f", magic="v7")
        b += header(b"h", b"0", 3, magic="v7") + data(b"abc") + END
    elif name == "symlink-fifo-with-size":
        b = header(b"f", b"0", 5) + data(b"hello") + header(b"s", b"2", 7, link=b"f") + header(b"p", b"6", 9)
        b += header(b"h", b"0", 3) + data(b"abc") + END
    elif name == "nul-then-digits-size":  # a size field of NULs then digits reads as 0 (GNU tar, libarchive)
        b = header(b"z", b"0", raw_size=b"\0" * 8 + b"016\0") + header(b"h", b"0", 3) + data(b"abc") + END
    elif name == "blank-padded-numbers":
        b = header(b"sp", b"0", raw_size=b"     000005 ") + data(b"hello") + END
    elif name == "base256-size":
        b = header(b"big", b"0", raw_size=b"\x80" + b"\0" * 9 + b"\x00\x07") + data(b"seven!!") + END
    elif name in ("no-end-marker-gnu", "no-end-marker-pax"):  # Go's archive/tar Flush-less writers, tar-split
        buf = io.BytesIO()
        fmt = tarfile.GNU_FORMAT if name.endswith("gnu") else tarfile.PAX_FORMAT
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
            for n, content in [("a", None), ("a/one", b"1" * 700), ("a/two", b""), ("b", b"last entry\n")]:
                ti = tarfile.TarInfo(n)
                ti.mtime = MTIME
                if content is None:
                    ti.type, ti.mode, content = tarfile.DIRTYPE, 0o755, b""
                ti.size = len(content)
                t.addfile(ti, io.BytesIO(content))
        b = buf.getvalue()
        while b.endswith(b"\0" * 512):
            b = b[:-512]
    elif name == "solaris-acl":  # Solaris tar: an 'A' entry with the ACL text before the file it describes
        acl = b"user::rw-,group::r--,other:r--\0"
        b = header(b"file", b"A", len(acl)) + data(acl) + header(b"file", b"0", 4) + data(b"body")
        b += header(b"other", b"0", 2) + data(b"ok") + END
    elif name == "pax-8mb-record":
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            ti = tarfile.TarInfo("with-big-comment")
            ti.size, ti.mtime = 5, MTIME
            ti.pax_headers = {"comment": "c" * (8 << 20)}
            t.addfile(ti, io.BytesIO(b"hello"))
        b = buf.getvalue()
    elif name == "hardlink-to-symlink":  # inside the tree: GNU tar links the symlink itself
        b = header(b"d", b"5") + header(b"d/file", b"0", 3) + data(b"abc") + header(b"d/link", b"2", link=b"file")
        b += header(b"d/second-name", b"1", link=b"d/link") + END
    elif name == "dotdot-path":
        b = header(b"ok", b"0", 2) + data(b"ok") + header(b"../escaped", b"0", 4) + data(b"evil") + END
    elif name == "absolute-symlink":
        b = header(b"etc-link", b"2", link=b"/etc") + END
    else:
        raise SystemExit("unknown crafted archive " + name)
    with open(out, "wb") as f:
        f.write(b)


def digest(root, skip):
    root = os.fsencode(root)
    skip = {os.fsencode(s) for s in skip}
    seen = {}
    lines = []
    for d, dirs, files in os.walk(root):
        for n in sorted(dirs + files):
            full = os.path.join(d, n)
            rel = os.path.relpath(full, root)
            if rel in skip:
                continue
            st = os.lstat(full)
            kind = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
                    stat.S_IFIFO: "fifo", stat.S_IFCHR: "chardev", stat.S_IFBLK: "blockdev"}.get(stat.S_IFMT(st.st_mode), "other")
            size, sha, target, group = 0, "", "", ""
            if kind == "file":
                size = st.st_size
                with open(full, "rb") as f:
                    sha = hashlib.sha256(f.read()).hexdigest()
            if kind == "symlink":
                target = repr(os.readlink(full))
            mode = "%04o" % (st.st_mode & 0o7777) if kind != "symlink" else "-"
            if kind != "dir" and st.st_nlink > 1:
                group = repr(seen.setdefault((st.st_dev, st.st_ino), rel))
            lines.append((rel, "%s %s size=%d sha256=%s target=%s mode=%s mtime=%d links=%s" % (
                repr(rel), kind, size, sha, target, mode, st.st_mtime_ns, group)))
    # Group names are the first path of each group in walk order; recompute them in sorted order.
    lines.sort()
    return "\n".join(l for _, l in lines)


def canonical_groups(root, skip):
    # Hard-link groups must not depend on walk order: name each group by its smallest path.
    root_b = os.fsencode(root)
    text = digest(root, skip)
    by_inode = {}
    for d, dirs, files in os.walk(root_b):
        for n in dirs + files:
            full = os.path.join(d, n)
            st = os.lstat(full)
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                rel = os.path.relpath(full, root_b)
                by_inode.setdefault((st.st_dev, st.st_ino), []).append(rel)
    rename = {}
    for paths in by_inode.values():
        m = repr(min(paths))
        for p in paths:
            rename[repr(p)] = m
    out = []
    for line in text.splitlines():
        head, _, grp = line.rpartition(" links=")
        out.append(head + " links=" + (rename.get(grp, grp) if grp else ""))
    return "\n".join(out)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "tree":
        tree(sys.argv[2], sys.argv[3])
    elif cmd == "python":
        python_tar(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "crafted":
        crafted(sys.argv[2], sys.argv[3])
    elif cmd == "digest":
        print(canonical_groups(sys.argv[2], sys.argv[3:]))
    else:
        raise SystemExit(__doc__)
