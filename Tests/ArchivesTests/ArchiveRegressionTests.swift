import Codecs
import Foundation
import LocalFS
import RestoreCore
import SnapshotCore
@testable import Archives
import Stores
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for issue #10 item 1 and 9 (archive side) and the parts of issue #15 that
/// are about messages and limits rather than trees (the trees are in ArchiveCompatibilityTests).
@Suite("Archive regressions")
struct ArchiveRegressionTests {

    /// Writes `bytes` as `name` in `dir` compressed for `codec` with the CLIs; returns the path.
    static func archive(_ bytes: [UInt8], in dir: String, codec: String) throws -> String {
        let tar = dir + "/a.tar"
        try Data(bytes).write(to: URL(fileURLWithPath: tar))
        let out: String
        let cmd: String
        switch codec {
        case "tar": return tar
        case "tar.zst": out = tar + ".zst"; cmd = "zstd -q -f -o '\(out)' '\(tar)'"
        case "tar.lz4": out = tar + ".lz4"; cmd = "lz4 -q -f '\(tar)' '\(out)'"
        default: out = tar + ".gz"; cmd = "gzip -n -c '\(tar)' > '\(out)'"
        }
        let r = try run("/bin/sh", ["-c", cmd])
        guard r.status == 0 else { throw ArchiveFixtures.TestFailure("\(cmd): \(r.output)") }
        return out
    }

    static func options() -> ArchiveRestore.Options {
        ArchiveRestore.Options(rangeSize: 64 << 10, connections: 2, memoryLimit: 64 << 20, preserveOwnership: false)
    }

    /// Issue #10, 1: a symlink that stays inside where it sits (`a/b/c/up -> ../../..`) is hard-linked
    /// to the top (`top`), where the same target climbs out of the tree; a later hard link through
    /// it (`top/secret.txt`) would share an outside file's inode (or copy its bytes in).
    @Test("a hard link to a symlink cannot carry it somewhere it escapes from", .requires("zstd", "lz4", "gzip"),
          arguments: ["tar", "tar.zst", "tar.gz", "tar.lz4"])
    func hardLinkedSymlinkDoesNotEscape(codec: String) async throws {
        let tmp = TempDir("hl-escape")
        let secret = tmp.sub("secret.txt")
        try Data("outside the target\n".utf8).write(to: URL(fileURLWithPath: secret))
        var t = TarBuilder()
        t.entry("a/", type: "5")
        t.entry("a/b/", type: "5")
        t.entry("a/b/c/", type: "5")
        t.entry("a/b/c/up", type: "2", link: "../../..")   // resolves to the tree's root: allowed
        t.entry("top", type: "1", link: "a/b/c/up")        // the same target from the root climbs out
        t.entry("stolen", type: "1", link: "top/secret.txt")
        t.end()
        let archive = try Self.archive(t.bytes, in: tmp.path, codec: codec)
        // The staging tree is TARGET/.chainsnap-staging/tree: "../../.." from its top is tmp.
        let target = tmp.sub("target")
        await #expect {
            _ = try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        } throws: { e in
            let text = String(describing: e)
            return (e as? ChainsnapError)?.code == .unsafePath && text.contains("refusing symlink 'top' -> '../../..'")
        }
        var st = stat()
        #expect(stat(secret, &st) == 0 && st.st_nlink == 1, "the outside file gained a hard link")
        #expect(try FS.listDirectory(target).filter { $0 != ".chainsnap-staging" }.isEmpty, "the target was changed")
    }

    @Test("hard links to folders, to missing entries and through archive symlinks are refused")
    func hardLinkTargets() throws {
        func extract(_ build: (inout TarBuilder) -> Void) throws {
            let tmp = TempDir("hl-rules")
            var t = TarBuilder()
            build(&t)
            t.end()
            let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
            try t.bytes.withUnsafeBytes { try x.feed($0) }
            try x.finish()
        }
        #expect(throws: ChainsnapError.self) {
            try extract { $0.entry("d/", type: "5"); $0.entry("l", type: "1", link: "d") }
        }
        #expect(throws: ChainsnapError.self) {
            try extract { $0.entry("l", type: "1", link: "never-written") }
        }
        #expect(throws: ChainsnapError.self) {
            try extract { $0.entry("d/", type: "5"); $0.entry("d/f", content: [1]); $0.entry("s", type: "2", link: "d"); $0.entry("l", type: "1", link: "s/f") }
        }
        // A hard link to a hard link of a file, and to a symlink that stays inside from its new place, are fine.
        try extract {
            $0.entry("f", content: [1, 2, 3]); $0.entry("g", type: "1", link: "f"); $0.entry("h", type: "1", link: "g")
            $0.entry("s", type: "2", link: "f"); $0.entry("s2", type: "1", link: "s")
        }
    }

    @Test("messages escape control characters and bytes that are not UTF-8")
    func displayEscapes() throws {
        #expect(PathRules.display("plain/ünïcödé 文件") == "plain/ünïcödé 文件")
        #expect(PathRules.display("evil\u{1b}[2J\n") == "evil\\x1b[2J\\n")
        #expect(PathRules.display("rtl\u{202e}txt.exe") == "rtl\\u{202e}txt.exe")
        #expect(PathRules.display("back\\slash") == "back\\\\slash")
        #expect(PathRules.display([0x63, 0x61, 0x66, 0xE9]) == "caf\\xe9")
        #expect(PathRules.display([0xC3]) == "\\xc3")
        #expect(PathRules.display([0xE9, 0x74, 0xE9]) != PathRules.display([0xE8, 0x74, 0xE8]))
        #expect(PathRules.display([0xC2, 0x85]) == "\\u{85}")   // C1 control NEL
        // An archive path with an escape sequence is refused without it reaching the terminal raw.
        let tmp = TempDir("ctl")
        var t = TarBuilder()
        t.entry("../\u{1b}]0;pwned\u{07}", content: [1])
        t.end()
        let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
        do {
            try t.bytes.withUnsafeBytes { try x.feed($0) }
            Issue.record("an escaping path was accepted")
        } catch {
            let text = String(describing: error)
            #expect(!text.contains("\u{1b}") && !text.contains("\u{07}"))
            #expect(text.contains("'../\\x1b]0;pwned\\x07'"))
        }
    }

    @Test("numeric fields read as GNU tar reads them")
    func numericFields() {
        func n(_ bytes: [UInt8]) -> Int64? {
            bytes.withUnsafeBytes { TarHeader.number($0, 0, bytes.count) }
        }
        #expect(n(Array("00000000014\0".utf8)) == 12)
        #expect(n([0, 0, 0, 0, 0, 0, 0, 0] + Array("016\0".utf8)) == 0)   // NULs end the field
        #expect(n([0] + Array(" 0000000014".utf8)) == 12)                 // one leading NUL, then blanks
        #expect(n(Array("     000005 ".utf8)) == 5)
        #expect(n(Array("            ".utf8)) == 0)
        #expect(n([0x80] + [UInt8](repeating: 0, count: 9) + [0x01, 0x00]) == 256)
        #expect(n([0x81] + [UInt8](repeating: 0, count: 11)) == nil)
        #expect(n(Array("12x4\0\0\0\0\0\0\0\0".utf8)) == nil)
    }

    @Test("an oversized pax header is refused as a limit, naming the --max-tar-header that passes")
    func paxCapMessage() throws {
        let tmp = TempDir("pax-cap")
        var t = TarBuilder()
        let record = "comment=" + String(repeating: "c", count: 3 << 20) + "\n"
        var len = record.utf8.count + 8
        len = record.utf8.count + String(len).count + 1
        t.entry("PaxHeaders/x", type: "x", content: Array("\(len) \(record)".utf8))
        t.entry("x", content: [1])
        t.end()
        let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
        #expect {
            try t.bytes.withUnsafeBytes { try x.feed($0) }
        } throws: { e in
            let text = String(describing: e)
            return text.contains("over the limit of 1.0 MiB") && text.contains("--max-tar-header 4MiB")
        }
        let raised = TarExtractor(root: tmp.sub("ok"), options: .init(preserveOwnership: false, maxHeaderBytes: 4 << 20))
        try FS.makeDirectories(tmp.sub("ok"))
        try t.bytes.withUnsafeBytes { try raised.feed($0) }
        try raised.finish()
        #expect(raised.stats.files == 1)
    }

    @Test("an archive without the end-of-archive marker is refused unless the stream is known complete")
    func missingEndMarker() throws {
        var t = TarBuilder()
        t.entry("f", content: Array("abc".utf8))
        for complete in [false, true] {
            let tmp = TempDir("eoa")
            let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
            try t.bytes.withUnsafeBytes { try x.feed($0) }
            if complete {
                try x.finish(streamComplete: true)
                #expect(x.stats.missingEndMarker && x.stats.files == 1)
            } else {
                #expect(throws: ChainsnapError.self) { try x.finish() }
            }
        }
        // Stopping in the middle of an entry is truncation whatever the transport says.
        let tmp = TempDir("eoa-mid")
        let x = TarExtractor(root: tmp.path, options: .init(preserveOwnership: false))
        try Array(t.bytes.prefix(600)).withUnsafeBytes { try x.feed($0) }
        #expect(throws: ChainsnapError.self) { try x.finish(streamComplete: true) }
    }

    @Test("legacy lz4 frames are sniffed and declare no size (the free-space check read 256 TiB)", .requires("zstd", "lz4", "gzip"))
    func legacyLZ4Header() throws {
        let tmp = TempDir("lz4l")
        var t = TarBuilder()
        t.entry("f", content: [UInt8](repeating: 7, count: 100_000))
        t.end()
        try Data(t.bytes).write(to: URL(fileURLWithPath: tmp.sub("a.tar")))
        let r = try run("lz4", ["-q", "-f", "-l", tmp.sub("a.tar"), tmp.sub("a.tar.lz4")])
        #expect(r.status == 0)
        let head = Array(try FS.readFile(tmp.sub("a.tar.lz4")).prefix(64))
        head.withUnsafeBytes { b in
            #expect(ArchiveFormat.sniff(b) == .tarLZ4)
            #expect(ArchiveFormat.declaredContentSize(b, format: .tarLZ4) == nil)
        }
        // Decoded in pieces of every size, it gives the tar back.
        let whole = try FS.readFile(tmp.sub("a.tar.lz4"))
        for piece in [1, 3, 4096, whole.count] {
            let d = LZ4Decompressor()
            var out: [UInt8] = []
            var p = 0
            while p < whole.count {
                let n = min(piece, whole.count - p)
                try whole[p..<(p + n)].withUnsafeBytes { try d.feed($0) { out.append(contentsOf: $0) } }
                p += n
            }
            try d.finish()
            #expect(out == t.bytes, "piece size \(piece)")
        }
        // Cut inside a block: truncated.
        let d = LZ4Decompressor()
        try whole.prefix(whole.count - 5).withUnsafeBytes { try d.feed($0) { _ in } }
        #expect(throws: ChainsnapError.self) { try d.finish() }
    }

    @Test("gzip trailing junk is reported where it starts", .requires("zstd", "lz4", "gzip"))
    func gzipJunkOffset() throws {
        let tmp = TempDir("gzjunk")
        try Data(repeating: 0x61, count: 50_000).write(to: URL(fileURLWithPath: tmp.sub("a")))
        #expect(try run("gzip", ["-n", tmp.sub("a")]).status == 0)
        let gz = try FS.readFile(tmp.sub("a.gz"))
        #expect {
            _ = try GzipStreamDecompressor.decompress(gz + Array("JUNK, not gzip".utf8))
        } throws: { e in
            String(describing: e).contains("starting at compressed byte \(gz.count)")
        }
    }

}
