import Codecs
import Foundation
import LocalFS
import RestoreCore
import SnapshotCore
import Archives
import Stores
import Testing
import TestSupport

/// Archives made by GNU tar, restored through a file:// store, must give back the same tree.
@Suite("Archive restores")
struct ArchiveRestoreTests {
    /// Small ranges and a few connections so reassembly across many out-of-order ranges is exercised.
    static func options(sha256: String? = nil, force: Bool = false) -> ArchiveRestore.Options {
        ArchiveRestore.Options(sha256: sha256, force: force, rangeSize: 96 << 10, connections: 4, memoryLimit: 64 << 20,
                               preserveOwnership: false)
    }

    @Test("GNU tar archives restore identically", .requires("tar", "zstd", "lz4", "gzip"), arguments: [
        ("tar.zst", ["-I", "zstd"]), ("tar.lz4", ["-I", "lz4"]), ("tar.gz", ["-z"]), ("tar", []),
        ("pax.tar.zst", ["--format=pax", "-I", "zstd"]), ("tgz", ["--format=ustar", "-z"]),
    ])
    func restoresIdentically(ext: String, flags: [String]) async throws {
        let tmp = TempDir("archive")
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        // ustar cannot hold the long names; give it a tree without them.
        try ArchiveFixtures.makeTree(at: src)
        if flags.contains("--format=ustar") {
            try FS.removeTree(src + "/" + String(repeating: "long-folder-name/", count: 8).split(separator: "/")[0])
            try FS.removeTree(src + "/long-link")
        }
        let archive = try ArchiveFixtures.gnuTar(src, to: tmp.sub("node.\(ext)"), flags: flags)
        let target = tmp.sub("target")
        let summary = try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        #expect(!summary.alreadyRestored)
        #expect(summary.stats.files > 20)
        #expect(summary.stats.symlinks == 4 - (flags.contains("--format=ustar") ? 1 : 0))
        #expect(summary.stats.hardLinks == 1)
        let want = try ArchiveFixtures.listing(src)
        let got = try ArchiveFixtures.listing(target, skip: [".chainsnap-restore.json", ".chainsnap-lock"])
        #expect(got == want, "restored tree differs:\n\(diff(want, got))")
        #expect(FS.exists(target + "/.chainsnap-restore.json"))
        #expect(!FS.exists(target + "/.chainsnap-staging"))

        // Running it again finds the marker and does nothing.
        let again = try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        #expect(again.alreadyRestored)
    }

    @Test("--sha256 of the archive is checked: right passes, wrong fails and leaves the target untouched", .requires("tar", "zstd", "lz4", "gzip"))
    func sha256Check() async throws {
        let tmp = TempDir("archive-sha")
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try ArchiveFixtures.makeTree(at: src, bigFileBytes: 300_000)
        let archive = try ArchiveFixtures.gnuTar(src, to: tmp.sub("n.tar.zst"), flags: ["-I", "zstd"])
        let sha = SHA256Hasher.hex(try FS.readFile(archive))

        let bad = tmp.sub("bad")
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        let wrong = String(sha.reversed())
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: bad, options: Self.options(sha256: wrong))
        } throws: { e in
            "\(e)".contains("SHA-256") && "\(e)".contains(sha)
        }
        #expect(try FS.listDirectory(bad).isEmpty, "a failed restore must leave the target as it was")

        let good = tmp.sub("good")
        let s = try await ArchiveRestore.run(from: "file://" + archive, to: good, options: Self.options(sha256: sha.uppercased()))
        #expect(s.sha256 == sha)
        #expect(try ArchiveFixtures.listing(good, skip: [".chainsnap-restore.json", ".chainsnap-lock"]) == ArchiveFixtures.listing(src))
        // Already restored with that checksum: a run asking for another one is refused, not silently skipped.
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: good, options: Self.options(sha256: wrong))
        } throws: { e in (e as? ChainsnapError)?.code == .targetNotEmpty && "\(e)".contains(wrong) }
        #expect(try await ArchiveRestore.run(from: "file://" + archive, to: good, options: Self.options(sha256: sha)).alreadyRestored)
    }

    @Test("a non-empty target is refused without --force, replaced with it")
    func nonEmptyTarget() async throws {
        let tmp = TempDir("archive-force")
        var t = TarBuilder()
        t.entry("new.txt", content: Array("new".utf8))
        t.end()
        let archive = tmp.sub("a.tar")
        try FS.writeAtomically(archive, bytes: t.bytes)
        let target = tmp.sub("target")
        try FS.makeDirectories(target)
        try FS.writeAtomically(target + "/old.txt", bytes: Array("old".utf8))
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        } throws: { e in
            (e as? ChainsnapError)?.code == .targetNotEmpty && "\(e)".contains("old.txt")
        }
        #expect(try FS.listDirectory(target) == ["old.txt"])
        _ = try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options(force: true))
        #expect(try FS.listDirectory(target).sorted() == [".chainsnap-restore.json", "new.txt"])
    }

    /// Malicious or broken archives fail with a clear message and leave the target as it was.
    static let malicious: [(String, String)] = [
        ("dotdot", "'..' escapes the target"),
        ("absolute", "absolute path"),
        ("symlink-out", "points outside the tree"),
        ("through-symlink", "is a symlink in the archive"),
        ("symlink-climb", "'..' after a named component"),
        ("hardlink-out", "'..' escapes the target"),
        ("size-mismatch", "truncated"),
        // Without the end marker but ending at an entry boundary is accepted (issue #15, 5:
        // ArchiveRegressionTests); ending after a pax header, before its entry, is truncation.
        ("pax-header-then-nothing", "ends after an extension header"),
        ("bad-checksum", "checksum mismatch"),
        ("reserved-name", "reserved for chainsnap"),
    ]

    static func maliciousArchive(_ name: String) -> [UInt8] {
        var t = TarBuilder()
        t.entry("ok/", type: "5", mode: 0o755)
        t.entry("ok/fine.txt", content: Array("fine".utf8))
        switch name {
        case "dotdot": t.entry("ok/../../evil.txt", content: Array("evil".utf8))
        case "absolute": t.entry("/tmp/chainsnap-evil.txt", content: Array("evil".utf8))
        case "symlink-out": t.entry("ok/escape", type: "2", link: "../../..")
        case "through-symlink":
            t.entry("ok/inside", type: "2", link: ".")
            t.entry("ok/inside/x.txt", content: Array("x".utf8))
        case "symlink-climb":
            t.entry("self", type: "2", link: ".")
            t.entry("ok/up", type: "2", link: "../self/../x")
        case "hardlink-out": t.entry("ok/hl", type: "1", link: "../../etc/passwd")
        case "size-mismatch":
            t.entry("ok/big.bin", content: [UInt8](repeating: 1, count: 1000), declaredSize: 5000)
            return t.bytes
        case "pax-header-then-nothing":
            t.entry("PaxHeaders/x", type: "x", content: Array("10 path=a\n".utf8))
            return t.bytes
        case "bad-checksum":
            t.entry("ok/c.txt", content: Array("c".utf8))
            t.bytes[t.bytes.count - 512 - 512 + 3] ^= 0x40
        case "reserved-name": t.entry(".chainsnap-staging/tree/x", content: Array("x".utf8))
        default: break
        }
        t.end()
        return t.bytes
    }

    @Test("malicious and broken tar archives are refused", arguments: malicious)
    func refusesMalicious(name: String, message: String) async throws {
        let tmp = TempDir("archive-evil")
        let archive = tmp.sub("evil-\(name).tar")
        try FS.writeAtomically(archive, bytes: Self.maliciousArchive(name))
        let target = tmp.sub("target")
        try FS.makeDirectories(target)
        let before = try ArchiveFixtures.listing(target)
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        } throws: { e in
            "\(e)".contains(message)
        }
        #expect(try ArchiveFixtures.listing(target) == before, "target changed after a refused archive")
        #expect(!FS.exists(tmp.path + "/evil.txt") && !FS.exists("/tmp/chainsnap-evil.txt"))
    }

    @Test("truncated and corrupted compressed archives fail and leave the target untouched",
          .requires("tar", "zstd", "lz4", "gzip"), arguments: ["truncated-zst", "corrupt-zst", "truncated-gz", "truncated-lz4", "tail-zst", "tail-lz4", "tail-gz"])
    func refusesDamaged(kind: String) async throws {
        let tmp = TempDir("archive-damaged")
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try ArchiveFixtures.makeTree(at: src, bigFileBytes: 600_000)
        let ext = kind.hasSuffix("gz") ? "tar.gz" : kind.hasSuffix("lz4") ? "tar.lz4" : "tar.zst"
        let flags = kind.hasSuffix("gz") ? ["-z"] : kind.hasSuffix("lz4") ? ["-I", "lz4"] : ["-I", "zstd"]
        let archive = try ArchiveFixtures.gnuTar(src, to: tmp.sub("n.\(ext)"), flags: flags)
        var bytes = try FS.readFile(archive)
        if kind.hasPrefix("truncated") {
            bytes.removeSubrange((bytes.count / 2)...)
        } else if kind.hasPrefix("tail") {
            // Only the frame's last bytes are gone (checksum / end mark): the tar inside is
            // complete, so only the codec can tell the archive is not whole.
            bytes.removeSubrange((bytes.count - 3)...)
        } else {
            for i in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[i] ^= 0x5A }
        }
        try FS.writeAtomically(archive, bytes: bytes)
        let target = tmp.sub("target")
        try FS.makeDirectories(target)
        try FS.writeAtomically(target + "/keep.txt", bytes: Array("keep".utf8))
        let before = try ArchiveFixtures.listing(target)
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options(force: true))
        } throws: { e in
            let s = "\(e)"
            return s.contains("truncated") || s.contains("corrupt") || s.contains("checksum")
        }
        #expect(try ArchiveFixtures.listing(target) == before)
    }

    @Test("an archive that expands past the free space fails clearly midway and leaves the target empty", .requires("tar", "zstd", "lz4", "gzip"), .requiresTmpfsMount)
    func diskFullMidway() async throws {
        let tmp = TempDir("archive-full")
        let small = tmp.sub("small")
        try FS.makeDirectories(small)
        // An 80 MiB tmpfs (the trait skips where mounting is not allowed); the check keeps 64 MiB of margin.
        try Requirements.mountTmpfs(small, size: "80m")
        defer { Requirements.unmountTmpfs(small) }
        // 160 MiB of zeros compress to almost nothing: the up-front estimate (3x the archive) passes,
        // and the disk fills while extracting.
        let src = tmp.sub("src")
        try FS.makeDirectories(src)
        try FS.writeAtomically(src + "/zeros", bytes: [UInt8](repeating: 0, count: 160 << 20))
        let archive = try ArchiveFixtures.gnuTar(src, to: tmp.sub("zeros.tar.zst"), flags: ["-I", "zstd"])
        let target = small + "/data"
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: target, options: Self.options())
        } throws: { e in
            let s = "\(e)"
            return s.contains("No space left") && s.contains("free")
        }
        #expect(try FS.listDirectory(target).isEmpty, "no staging folder or partial file is left behind")
    }

    @Test("a zstd --long archive needs a larger --memory-limit, and the error says how large", .requires("tar", "zstd", "lz4", "gzip"))
    func longWindow() async throws {
        let tmp = TempDir("archive-long")
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try ArchiveFixtures.makeTree(at: src)
        // From a pipe zstd cannot shrink the window to the input: the frame declares 2^28 (256 MiB).
        let archive = tmp.sub("long.tar.zst")
        let r = try run("sh", ["-c", "tar -cf - -C '\(src)' . | zstd -q --long=28 -o '\(archive)'"])
        #expect(r.status == 0, "\(r.output)")
        let window = try FS.readFile(archive).withUnsafeBytes { ZstdStreamDecompressor.frameWindowSize($0) }
        #expect(window == 1 << 28)
        let target = tmp.sub("target")
        await #expect {
            try await ArchiveRestore.run(from: "file://" + archive, to: target, storeOptions: StoreOptions(memoryLimit: 256 << 20),
                                         options: Self.options())
        } throws: { e in "\(e)".contains("--memory-limit 512MiB") && "\(e)".contains("256MiB window") }
        #expect(try !FS.exists(target) || FS.listDirectory(target).isEmpty)
        _ = try await ArchiveRestore.run(from: "file://" + archive, to: target, storeOptions: StoreOptions(memoryLimit: 512 << 20),
                                         options: Self.options())
        #expect(try ArchiveFixtures.listing(target, skip: [".chainsnap-restore.json", ".chainsnap-lock"]) == ArchiveFixtures.listing(src))
    }

    @Test("free space is checked first: from the zstd frame's declared size, or the archive size times the expansion", .requires("tar", "zstd", "lz4", "gzip"))
    func freeSpace() async throws {
        let tmp = TempDir("archive-space")
        var t = TarBuilder()
        t.entry("a.bin", content: [UInt8](repeating: 7, count: 200_000))
        t.end()
        try FS.writeAtomically(tmp.sub("n.tar"), bytes: t.bytes)
        // `zstd FILE` writes the content size into the frame header.
        let z = try run("zstd", ["-q", tmp.sub("n.tar"), "-o", tmp.sub("n.tar.zst")])
        #expect(z.status == 0, "\(z.output)")
        let messages = MessageLog()
        var o = Self.options()
        o.log = { messages.add($0) }
        _ = try await ArchiveRestore.run(from: "file://" + tmp.sub("n.tar.zst"), to: tmp.sub("ok"), options: o)
        #expect(messages.all.contains { $0.contains("frame declares") && $0.contains("KiB") }, "\(messages.all)")

        // An expansion no disk can hold: refused before anything is written.
        o.expansion = 1e12
        let target = tmp.sub("full")
        await #expect {
            try await ArchiveRestore.run(from: "file://" + tmp.sub("n.tar.zst"), to: target, options: o)
        } throws: { e in
            (e as? ChainsnapError)?.code == .insufficientSpace && "\(e)".contains("free space")
        }
        #expect(try FS.listDirectory(target).isEmpty)
    }

    @Test("a killed restore's leftover staging folder is discarded and the restore runs again")
    func leftoverStaging() async throws {
        let tmp = TempDir("archive-leftover")
        var t = TarBuilder()
        t.entry("d/", type: "5", mode: 0o755)
        t.entry("d/a.txt", content: Array("a".utf8))
        t.end()
        try FS.writeAtomically(tmp.sub("n.tar"), bytes: t.bytes)
        let target = tmp.sub("target")
        // What a SIGKILL during extraction leaves: a staging folder in phase "writing" with part of the tree.
        let rt = try RestoreTarget(path: target)
        try rt.beginStaging(identity: "archive of an earlier run", replaceExisting: false)
        try FS.writeAtomically(rt.stagingTree + "/half-written.bin", bytes: [1, 2, 3])
        let s = try await ArchiveRestore.run(from: "file://" + tmp.sub("n.tar"), to: target, options: Self.options())
        #expect(s.stats.files == 1)
        #expect(try FS.listDirectory(target).sorted() == [".chainsnap-restore.json", "d"])
        #expect(try FS.readFile(target + "/d/a.txt") == Array("a".utf8))
    }

    @Test("archive URLs are recognised and split into store and key")
    func urls() throws {
        #expect(ArchiveRestore.isArchiveURL("https://snap.example.com/mainnet/node.tar.zst"))
        #expect(ArchiveRestore.isArchiveURL("s3://bucket/x/y.TGZ"))
        #expect(ArchiveRestore.isArchiveURL("https://h/p/node.tar.lz4?X-Amz-Signature=abc"))
        #expect(!ArchiveRestore.isArchiveURL("s3://bucket/snapshots"))
        let (s, k) = try ArchiveRestore.splitURL("https://h/a/b/node.tar.gz")
        #expect(s == "https://h/a/b" && k == "node.tar.gz")
        let (s2, k2) = try ArchiveRestore.splitURL("s3://bucket/node.tar")
        #expect(s2 == "s3://bucket" && k2 == "node.tar")
        let (s3, k3) = try ArchiveRestore.splitURL("/data/x.tar.zst")
        #expect(s3 == "file:///data" && k3 == "x.tar.zst")
        #expect(throws: ChainsnapError.self) { try ArchiveRestore.splitURL("https://h/dir/") }
        let (s4, k4) = try ArchiveRestore.splitURL("https://h/snap%20shots/n%C3%BC.tar.zst")
        #expect(s4 == "https://h/snap%20shots" && k4 == "nü.tar.zst")
        // A presigned URL: the query stays with the store (sent on every request), the name is before it.
        let (s5, k5) = try ArchiveRestore.splitURL("https://h/a/node.tar.zst?X-Amz-Credential=AK%2F1/x&X-Amz-Signature=abc")
        #expect(s5 == "https://h/a?X-Amz-Credential=AK%2F1/x&X-Amz-Signature=abc" && k5 == "node.tar.zst")
        let (s6, k6) = try ArchiveRestore.splitURL("https://h/node.tar.zst?token=a/b")
        #expect(s6 == "https://h?token=a/b" && k6 == "node.tar.zst")
    }

    @Test("format comes from the bytes when the name is wrong; a name promising compression is checked")
    func formatSniffing() async throws {
        let tmp = TempDir("archive-sniff")
        var t = TarBuilder()
        t.entry("a.txt", content: Array("a".utf8))
        t.end()
        // An HTML error page named .tar.zst: refused with a clear message.
        try FS.writeAtomically(tmp.sub("page.tar.zst"), bytes: Array("<html><body>403 Forbidden</body></html>".utf8))
        await #expect {
            try await ArchiveRestore.run(from: "file://" + tmp.sub("page.tar.zst"), to: tmp.sub("t1"), options: Self.options())
        } throws: { e in "\(e)".contains("zstd-compressed") && "\(e)".contains("3c68746d") }
        #expect(try FS.listDirectory(tmp.sub("t1")).isEmpty)
        // A plain tar named .tar.zst: read as tar, with a message.
        try FS.writeAtomically(tmp.sub("plain.tar.zst"), bytes: t.bytes)
        let messages = MessageLog()
        var o = Self.options()
        o.log = { messages.add($0) }
        let p = try await ArchiveRestore.run(from: "file://" + tmp.sub("plain.tar.zst"), to: tmp.sub("t3"), options: o)
        #expect(p.format == .tar)
        #expect(messages.all.contains { $0.contains("reading it as tar") })
        // zstd bytes named .tar: read as zstd.
        let z = try t.bytes.withUnsafeBytes { try ZstdCompressor().compress($0) }
        try FS.writeAtomically(tmp.sub("mislabelled.tar"), bytes: z)
        let s = try await ArchiveRestore.run(from: "file://" + tmp.sub("mislabelled.tar"), to: tmp.sub("t2"), options: Self.options())
        #expect(s.format == .tarZstd)
        #expect(try FS.readFile(tmp.sub("t2/a.txt")) == Array("a".utf8))
    }
}

func diff(_ a: [ArchiveFixtures.Entry], _ b: [ArchiveFixtures.Entry]) -> String {
    let sa = Set(a.map(\.description)), sb = Set(b.map(\.description))
    return (sa.subtracting(sb).sorted().map { "- " + $0 } + sb.subtracting(sa).sorted().map { "+ " + $0 }).joined(separator: "\n")
}
