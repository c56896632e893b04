import Foundation
import Codecs

/// Builds and compares folder trees for round-trip tests.
public enum Trees {
    /// A description of every entry under `root` (except chainsnap's marker and staging):
    /// type, permission bits, mtime (ns), size, SHA-256 of content or symlink target.
    public static func describe(_ root: String, mtimes: Bool = true) throws -> [String: String] {
        var out: [String: String] = [:]
        try walk(root, rel: "", mtimes: mtimes, into: &out)
        return out
    }

    private static func walk(_ dir: String, rel: String, mtimes: Bool, into out: inout [String: String]) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            if rel.isEmpty && (name == ".chainsnap-restore.json" || name == ".chainsnap-staging" || name == ".chainsnap-lock") { continue }
            let full = dir + "/" + name
            let r = rel.isEmpty ? name : rel + "/" + name
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            let mode = String(UInt32(st.st_mode) & 0o7777, radix: 8)
            let mt = mtimes ? " mtime=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" : ""
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                out[r] = "dir mode=\(mode)" + mt
                try walk(full, rel: r, mtimes: mtimes, into: &out)
            case S_IFLNK:
                let t = try FileManager.default.destinationOfSymbolicLink(atPath: full)
                out[r] = "symlink -> \(t)" + mt
            default:
                let h = SHA256Hasher()
                let fh = FileHandle(forReadingAtPath: full)!
                while let d = try fh.read(upToCount: 1 << 20), !d.isEmpty { d.withUnsafeBytes { h.update($0) } }
                try fh.close()
                out[r] = "file mode=\(mode) size=\(st.st_size) sha=\(h.finishHex())" + mt
            }
        }
    }

    /// Writes `bytes` pseudo-random bytes (deterministic for a seed) that compress about 2-3x.
    public static func compressibleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var rng = XorShift64(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i < count {
            let x = rng.next()
            // Half the bytes random, half from a small alphabet: roughly 2-3x with zstd -3.
            let run = Int(x & 31) + 1
            let b = UInt8(truncatingIfNeeded: x >> 8)
            for j in 0..<run where i + j < count { out[i + j] = (x >> 40) & 1 == 0 ? b : UInt8(truncatingIfNeeded: (x >> UInt64(j % 48)) & 0xff) }
            i += run
        }
        return out
    }

    /// A tree with everything a node's data folder may hold, plus awkward cases.
    public static func makeSample(at root: String, largeFileSize: Int = 3 << 20, seed: UInt64 = 1) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/db/ancient/chain", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty-dir", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/ünïcødé ✓", withIntermediateDirectories: true)
        try Data(compressibleBytes(largeFileSize, seed: seed)).write(to: URL(fileURLWithPath: root + "/db/000001.sst"))
        try Data(compressibleBytes(100_000, seed: seed + 1)).write(to: URL(fileURLWithPath: root + "/db/ancient/chain/bodies.0001.cdat"))
        for i in 0..<40 {
            try Data("small file \(i) \(String(repeating: "x", count: i * 37))".utf8)
                .write(to: URL(fileURLWithPath: root + "/db/meta-\(i).log"))
        }
        try Data().write(to: URL(fileURLWithPath: root + "/db/LOCK"))
        try Data("secret-key-material".utf8).write(to: URL(fileURLWithPath: root + "/keys/staker.key"))
        try Data("ü".utf8).write(to: URL(fileURLWithPath: root + "/ünïcødé ✓/日本語.txt"))
        // A large mostly-zero file: 8 MiB hole with a few bytes of data in the middle and at the end.
        let sparse = root + "/db/mostly-zero.bin"
        _ = fm.createFile(atPath: sparse, contents: nil)
        let fh = FileHandle(forWritingAtPath: sparse)!
        try fh.truncate(atOffset: 8 << 20)
        try fh.seek(toOffset: 3 << 20); fh.write(Data("island".utf8))
        try fh.seek(toOffset: (8 << 20) - 4); fh.write(Data("tail".utf8))
        try fh.close()
        try fm.createSymbolicLink(atPath: root + "/db/CURRENT.link", withDestinationPath: "000001.sst")
        try fm.createSymbolicLink(atPath: root + "/db/ancient/up", withDestinationPath: "../../keys/staker.key")
        try fm.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: "db/not-there-yet")
        chmod(root + "/keys/staker.key", 0o600)
        chmod(root + "/keys", 0o700)
        chmod(root + "/db/000001.sst", 0o444)
        chmod(root + "/db/meta-3.log", 0o755)
        // Fixed, distinct mtimes with sub-second parts.
        var t = [timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789), timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789)]
        utimensat(AT_FDCWD, root + "/db/meta-7.log", &t, 0)
        t[1].tv_sec = 1_500_000_000
        utimensat(AT_FDCWD, root + "/dangling", &t, AT_SYMLINK_NOFOLLOW)
    }
}
