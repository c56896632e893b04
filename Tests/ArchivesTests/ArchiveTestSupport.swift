import Codecs
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the archive tests: a generated tree, tree listings to compare, and a tiny tar writer
/// for hand-made (malicious) archives.
enum ArchiveFixtures {
    /// Writes a tree with nested folders, symlinks, a hard link, empty files, unicode and long names,
    /// a multi-MiB file, varied modes and fixed mtimes.
    static func makeTree(at root: String, bigFileBytes: Int = 3 << 20, compressibleBytes: Int = 2 << 20) throws {
        let fm = FileManager.default
        func dir(_ p: String, _ mode: Int = 0o755) throws {
            try fm.createDirectory(atPath: root + "/" + p, withIntermediateDirectories: true)
            chmod(root + "/" + p, mode_t(mode))
        }
        func file(_ p: String, _ bytes: [UInt8], _ mode: Int = 0o644) {
            _ = fm.createFile(atPath: root + "/" + p, contents: Data(bytes))
            chmod(root + "/" + p, mode_t(mode))
        }
        var rng = XorShift64(seed: 42)
        try dir("chaindata/ancient/chain", 0o750)
        try dir("chaindata/empty-dir", 0o700)
        try dir("données/ñandú 文件", 0o755)
        for i in 0..<20 {
            file("chaindata/\(String(format: "%06d", i)).sst", rng.bytes(Int(rng.next() % 40_000) + 1), 0o644)
        }
        file("chaindata/ancient/chain/headers.0000.cdat", rng.bytes(bigFileBytes), 0o600)
        // A compressible multi-MiB file too (exercises long zstd/lz4 runs).
        file("chaindata/ancient/chain/bodies.0000.cdat", [UInt8](repeating: 0x61, count: compressibleBytes) + rng.bytes(1000), 0o640)
        file("chaindata/EMPTY", [], 0o644)
        file("chaindata/LOCK", [], 0o600)
        file("données/ñandú 文件/ünïcödé.txt", Array("grüße\n".utf8), 0o644)
        file("run.sh", Array("#!/bin/sh\necho hi\n".utf8), 0o755)
        let longDir = String(repeating: "long-folder-name/", count: 8)
        try dir(longDir)
        file(longDir + String(repeating: "x", count: 120) + ".dat", rng.bytes(777), 0o644)
        // Symlinks: relative inside, up-and-over, dangling inside, and a long target (GNU 'K').
        symlink("chaindata/ancient/chain/headers.0000.cdat", root + "/current")
        symlink("../../run.sh", root + "/chaindata/ancient/run-link")
        symlink("not-there-yet", root + "/dangling")
        symlink(longDir + String(repeating: "x", count: 120) + ".dat", root + "/long-link")
        link(root + "/run.sh", root + "/run-hardlink.sh")
        // Fixed mtimes, folders last (writing into a folder changes its mtime).
        let all = try listing(root, includeRoot: false).map { $0.path }
        for (i, p) in all.reversed().enumerated() {
            var times = [timespec(tv_sec: 1_600_000_000 + i * 3600, tv_nsec: 0),
                         timespec(tv_sec: 1_600_000_000 + i * 3600, tv_nsec: 0)]
            utimensat(AT_FDCWD, root + "/" + p, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    struct Entry: Equatable, CustomStringConvertible {
        var path: String
        var kind: String
        var mode: UInt32
        var mtime: Int
        var size: Int64
        /// SHA-256 of a file, or a symlink's target.
        var content: String
        var links: Int
        var description: String { "\(path) \(kind) \(String(mode, radix: 8)) \(mtime) \(size) \(content) nlink=\(links)" }
    }

    /// Every entry under `root` (not following symlinks), sorted by path.
    static func listing(_ root: String, includeRoot: Bool = false, skip: Set<String> = []) throws -> [Entry] {
        var out: [Entry] = []
        func walk(_ rel: String) throws {
            let full = rel.isEmpty ? root : root + "/" + rel
            for name in try FileManager.default.contentsOfDirectory(atPath: full).sorted() {
                let r = rel.isEmpty ? name : rel + "/" + name
                if skip.contains(r) { continue }
                var st = stat()
                guard lstat(root + "/" + r, &st) == 0 else { continue }
                let kindBits = st.st_mode & S_IFMT
                var e = Entry(path: r, kind: "?", mode: UInt32(st.st_mode & 0o7777), mtime: Int(st.st_mtim.tv_sec),
                              size: 0, content: "", links: Int(st.st_nlink))
                if kindBits == S_IFDIR {
                    e.kind = "dir"
                    e.links = 0
                    out.append(e)
                    try walk(r)
                } else if kindBits == S_IFLNK {
                    e.kind = "symlink"
                    e.mode = 0
                    e.content = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + r)
                    out.append(e)
                } else if kindBits == S_IFREG {
                    e.kind = "file"
                    e.size = Int64(st.st_size)
                    e.content = SHA256Hasher.hex(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + r))))
                    out.append(e)
                } else {
                    e.kind = "other"
                    out.append(e)
                }
            }
        }
        try walk("")
        return out
    }

    /// Runs GNU tar; returns the archive path.
    static func gnuTar(_ src: String, to archive: String, flags: [String]) throws -> String {
        let r = try run("tar", flags + ["-cf", archive, "-C", src, "."])
        guard r.status == 0 else { throw TestFailure("tar \(flags) failed: \(r.output)") }
        return archive
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

/// A tiny tar writer for hand-made archives (ustar headers with correct checksums).
struct TarBuilder {
    var bytes: [UInt8] = []

    mutating func entry(_ name: String, type: Character = "0", content: [UInt8] = [], link: String = "",
                        mode: Int = 0o644, declaredSize: Int? = nil) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ len: Int) {
            let u = Array(s.utf8.prefix(len))
            h.replaceSubrange(at..<(at + u.count), with: u)
        }
        func octal(_ v: Int, _ at: Int, _ len: Int) {
            let s = String(v, radix: 8)
            put(String(repeating: "0", count: max(0, len - 1 - s.count)) + s, at, len - 1)
        }
        put(name, 0, 100)
        octal(mode, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(declaredSize ?? content.count, 124, 12)
        octal(1_600_000_000, 136, 12)
        h[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        let s = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - s.count) + s, 148, 6)
        h[154] = 0
        bytes += h
        bytes += content
        bytes += [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    mutating func end() { bytes += [UInt8](repeating: 0, count: 1024) }
}
