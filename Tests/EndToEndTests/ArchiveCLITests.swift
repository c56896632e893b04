import Codecs
import Foundation
import Testing
import TestSupport

/// `chainsnap snapshot restore --from ARCHIVE_URL DIR` run as operators run it.
@Suite
struct ArchiveCLITests {
    let bin = Paths.chainsnapBinary

    @Test(.requires("tar", "zstd"))
    func restoresTarZstWithSha256AndRefusesBadInput() throws {
        let t = TempDir("cli-archive")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let archive = t.sub("node.tar.zst")
        let mk = try run("tar", ["--format=pax", "-I", "zstd", "-cf", archive, "-C", t.sub("src"), "."])
        #expect(mk.status == 0, "\(mk.output)")
        let sha = SHA256Hasher.hex(Array(try Data(contentsOf: URL(fileURLWithPath: archive))))

        let target = t.sub("restore")
        let r = try run(bin, ["snapshot", "restore", "--from", "file://" + archive, target, "--sha256", sha])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src")))
        #expect(FileManager.default.fileExists(atPath: target + "/.chainsnap-restore.json"))

        // Same archive again: the marker makes it a no-op.
        let again = try run(bin, ["snapshot", "restore", "--from", "file://" + archive, target])
        #expect(again.status == 0, "\(again.stderr)")

        // Wrong checksum: exit 1, clear message, target untouched.
        let other = t.sub("other")
        let bad = try run(bin, ["snapshot", "restore", "--from", "file://" + archive, other, "--sha256", String(repeating: "0", count: 64)])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("SHA-256"), "\(bad.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: other))?.isEmpty ?? true)

        // A different archive into the restored folder: refused, exit 3.
        let archive2 = t.sub("other.tar.zst")
        _ = try run("tar", ["-I", "zstd", "-cf", archive2, "-C", t.sub("src"), "."])
        let refused = try run(bin, ["snapshot", "restore", "--from", "file://" + archive2, target])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))

        // The URL from a file (a mounted Secret holding a presigned URL), not the command line.
        let urlFile = t.sub("snapshot-url")
        try Data("  file://\(archive)  \n".utf8).write(to: URL(fileURLWithPath: urlFile))
        let viaFile = try run(bin, ["snapshot", "restore", "--from-file", urlFile, t.sub("from-file"), "--sha256", sha])
        #expect(viaFile.status == 0, "\(viaFile.stderr)")
        #expect(try Trees.describe(t.sub("from-file")) == Trees.describe(t.sub("src")))
        let both = try run(bin, ["snapshot", "restore", "--from", "file://" + archive, "--from-file", urlFile, t.sub("x")])
        #expect(both.status == 64 && both.stderr.contains("not both"), "\(both.stderr)")
        let missing = try run(bin, ["snapshot", "restore", "--from-file", t.sub("nope"), t.sub("y")])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read --from-file"), "\(missing.stderr)")
    }
}
