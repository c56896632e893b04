import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore
import Archives
import Stores
import Testing
import TestSupport

/// The tar extractor gives the same tree whatever the read boundaries.
@Suite("Tar extractor")
struct TarExtractorTests {
    static func extract(_ bytes: [UInt8], into root: String, pieces: (Int) -> Int) throws -> TarExtractionStats {
        try FS.makeDirectories(root)
        let x = TarExtractor(root: root, options: .init(preserveOwnership: false))
        try bytes.withUnsafeBytes { all in
            var p = 0
            var i = 0
            while p < all.count {
                let n = min(all.count - p, max(1, pieces(i)))
                try x.feed(UnsafeRawBufferPointer(rebasing: all[p..<(p + n)]))
                p += n
                i += 1
            }
        }
        try x.finish()
        return x.stats
    }

    @Test("fed one byte at a time, in odd pieces or whole: same tree as GNU tar's source", .requires("tar"), arguments: ["gnu", "pax", "ustar"])
    func readBoundaries(format: String) throws {
        let tmp = TempDir("tar-bytes")
        let src = tmp.sub("src")
        try FS.makeDirectories(src)
        try ArchiveFixtures.makeTree(at: src, bigFileBytes: 30_000, compressibleBytes: 9_000)
        if format == "ustar" {
            try FS.removeTree(src + "/long-folder-name")
            try FS.removeTree(src + "/long-link")
        }
        let archive = try ArchiveFixtures.gnuTar(src, to: tmp.sub("a.tar"), flags: ["--format=\(format)"])
        let bytes = try FS.readFile(archive)
        let want = try ArchiveFixtures.listing(src)
        var rng = XorShift64(seed: 7)
        let whole = try Self.extract(bytes, into: tmp.sub("whole"), pieces: { _ in Int.max })
        let single = try Self.extract(bytes, into: tmp.sub("single"), pieces: { _ in 1 })
        let odd = try Self.extract(bytes, into: tmp.sub("odd"), pieces: { _ in Int(rng.next() % 1500) + 1 })
        #expect(whole == single && single == odd)
        #expect(whole.files >= 25 && whole.hardLinks == 1)
        for dir in ["whole", "single", "odd"] {
            let got = try ArchiveFixtures.listing(tmp.sub(dir))
            #expect(got == want, "\(dir) differs:\n\(diff(want, got))")
        }
    }

    @Test("devices and FIFOs are skipped with a message; sparse files are refused")
    func specialEntries() throws {
        let tmp = TempDir("tar-special")
        var t = TarBuilder()
        t.entry("fifo", type: "6")
        t.entry("dev", type: "3")
        t.entry("file", content: [1, 2, 3])
        t.end()
        let messages = MessageLog()
        let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false, log: { messages.add($0) }))
        try t.bytes.withUnsafeBytes { try x.feed($0) }
        try x.finish()
        #expect(x.stats.skipped == 2 && x.stats.files == 1)
        #expect(messages.all.contains { $0.contains("fifo") && $0.contains("not restored") })
        #expect(try FS.listDirectory(tmp.path) == ["file"])

        var s = TarBuilder()
        s.entry("sparse", type: "S", content: [0])
        s.end()
        let y = TarExtractor(root: tmp.sub("y"), options: .init(preserveOwnership: false))
        #expect { try s.bytes.withUnsafeBytes { try y.feed($0) } } throws: { "\($0)".contains("sparse") }
    }

    @Test("pax mtimes keep their nanoseconds", .requires("tar"))
    func paxNanoseconds() throws {
        let tmp = TempDir("tar-ns")
        try FS.makeDirectories(tmp.sub("src/d"))
        try FS.writeAtomically(tmp.sub("src/d/f"), bytes: [1, 2, 3])
        var times = [timespec(tv_sec: 1_609_459_200, tv_nsec: 123_456_789), timespec(tv_sec: 1_609_459_200, tv_nsec: 123_456_789)]
        utimensat(AT_FDCWD, tmp.sub("src/d/f"), &times, 0)
        utimensat(AT_FDCWD, tmp.sub("src/d"), &times, 0)
        let archive = try ArchiveFixtures.gnuTar(tmp.sub("src"), to: tmp.sub("a.tar"), flags: ["--format=pax"])
        _ = try Self.extract(try FS.readFile(archive), into: tmp.sub("out"), pieces: { _ in 700 })
        for p in ["out/d/f", "out/d"] {
            var st = stat()
            #expect(lstat(tmp.sub(p), &st) == 0)
            #expect(st.st_mtim.tv_sec == 1_609_459_200 && st.st_mtim.tv_nsec == 123_456_789, "\(p)")
        }
    }

    @Test("v7-style folder (regular entry with a trailing slash), GNU long names, base-256 sizes")
    func oddButValidHeaders() throws {
        let tmp = TempDir("tar-odd")
        var t = TarBuilder()
        t.entry("old-dir/", type: "\0", mode: 0o750)
        t.entry("old-dir/f", content: [9])
        // GNU long name: an 'L' entry whose content is the name of the next entry.
        let long = String(repeating: "n", count: 150)
        t.entry("././@LongLink", type: "L", content: Array(long.utf8) + [0])
        t.entry(String(long.prefix(99)), content: [1, 2])
        t.end()
        // Rewrite the size of "old-dir/f" in base-256 (GNU's encoding for sizes >= 8 GiB).
        var b = t.bytes
        let h = 512
        for i in 124..<136 { b[h + i] = 0 }
        b[h + 124] = 0x80
        b[h + 135] = 1
        for i in 148..<156 { b[h + i] = 0x20 }
        let sum = b[h..<(h + 512)].reduce(0) { $0 + Int($1) }
        let oct = Array(String(sum, radix: 8).utf8)
        for i in 0..<6 { b[h + 148 + i] = 0x30 }
        for (i, c) in oct.enumerated() { b[h + 148 + 6 - oct.count + i] = c }
        b[h + 154] = 0
        _ = try Self.extract(b, into: tmp.sub("out"), pieces: { _ in 100 })
        var st = stat()
        #expect(lstat(tmp.sub("out/old-dir"), &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && st.st_mode & 0o777 == 0o750)
        #expect(try FS.readFile(tmp.sub("out/old-dir/f")) == [9])
        #expect(try FS.readFile(tmp.sub("out/" + long)) == [1, 2])
    }

    @Test("an empty stream and a cut header are reported as truncated")
    func truncation() throws {
        let tmp = TempDir("tar-trunc")
        let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
        #expect { try x.finish() } throws: { "\($0)".contains("truncated") }
        var t = TarBuilder()
        t.entry("a", content: [1])
        let y = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
        try Array(t.bytes.prefix(300)).withUnsafeBytes { try y.feed($0) }
        #expect { try y.finish() } throws: { "\($0)".contains("truncated") }
    }
}

final class MessageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ m: String) { lock.withLock { messages.append(m) } }
    var all: [String] { lock.withLock { messages } }
}
