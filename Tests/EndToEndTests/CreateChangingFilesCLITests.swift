import Foundation
import Testing
import TestSupport

/// Files that change while `snapshot create` reads them (issue #10 item 7). The run is stopped
/// right after it read the file (TestPause "create-read"), the test changes the file, then lets
/// it go on: each case is exact, not a race.
@Suite struct CreateChangingFilesCLITests {
    let bin = Paths.chainsnapBinary

    func tree(_ t: TempDir) throws -> (src: String, file: String) {
        let src = t.sub("src")
        try FileManager.default.createDirectory(atPath: src + "/db", withIntermediateDirectories: true)
        let file = src + "/db/000007.log"
        try Data(Trees.compressibleBytes(100_000, seed: 9)).write(to: URL(fileURLWithPath: file))
        return (src, file)
    }

    func append(_ file: String) throws {
        let h = try FileHandle(forWritingAtPath: file).unwrap()
        try h.seekToEnd()
        h.write(Data(repeating: 0x41, count: 5000))
        try h.close()
    }

    /// Overwrites the middle in place: same size, different bytes.
    func overwrite(_ file: String) throws {
        let h = try FileHandle(forWritingAtPath: file).unwrap()
        try h.seek(toOffset: 40_000)
        h.write(Data(repeating: 0x42, count: 20_000))
        try h.close()
        usleep(20_000)  // a later mtime than the read saw, even with a coarse file-system clock
    }

    func create(_ t: TempDir, _ src: String, extra: [String] = []) throws -> PausedRun {
        try PausedRun(["snapshot", "create", src, "--to", "file://" + t.sub("store"), "--chunk-size", "256KiB"] + extra,
                      point: "create-read", in: t.path)
    }

    func snapshotCount(_ t: TempDir) throws -> Int {
        let l = try run(bin, ["snapshot", "list", "file://" + t.sub("store"), "--json"])
        return (try? jsonLines(l.stdout))?.count ?? -1
    }

    @Test func aFileAppendedToWhileReadIsReadAgainAndStoredWhole() throws {
        let t = TempDir("changing-retry")
        let (src, file) = try tree(t)
        let c = try create(t, src)
        try append(file)
        c.resume()
        try c.waitForPause()  // the second read; the file stays as it is now
        #expect(c.finish() == 0, "\(c.log)")
        #expect(c.log.contains("changed while being read; reading them again: db/000007.log"), "\(c.log)")
        let target = t.sub("target")
        let r = try run(bin, ["snapshot", "restore", "--from", "file://" + t.sub("store"), target])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Trees.describe(target) == Trees.describe(src), "the stored file is the whole appended file")
    }

    /// Two small files packed together; the run pauses after reading the first, the test removes the
    /// second or puts a symlink in its place. Either is named as replaced, nothing is read through
    /// the link, and no snapshot is written (issue 13: pack files are opened relative to their folder
    /// with O_NOFOLLOW).
    @Test(arguments: ["removed", "symlink"])
    func aPackedFileRemovedOrReplacedByALinkAfterTheScanIsNamed(how: String) throws {
        let t = TempDir("changing-\(how)")
        let src = t.sub("src")
        try FileManager.default.createDirectory(atPath: src + "/db", withIntermediateDirectories: true)
        try Data(Trees.compressibleBytes(3000, seed: 1)).write(to: URL(fileURLWithPath: src + "/db/a.log"))
        try Data(Trees.compressibleBytes(3000, seed: 2)).write(to: URL(fileURLWithPath: src + "/db/b.log"))
        let secret = t.sub("secret")
        try Data("not for the snapshot".utf8).write(to: URL(fileURLWithPath: secret))
        let c = try create(t, src)
        #expect(c.pauseText.contains("db/a.log"), "\(c.pauseText)")
        try FileManager.default.removeItem(atPath: src + "/db/b.log")
        if how == "symlink" { try FileManager.default.createSymbolicLink(atPath: src + "/db/b.log", withDestinationPath: secret) }
        #expect(c.finish() == 1, "\(c.log)")
        #expect(c.log.contains("db/b.log' was removed or replaced while the snapshot was made"), "\(c.log)")
        #expect(try snapshotCount(t) == 0)
        let stored = (FileManager.default.enumerator(atPath: t.sub("store"))?.allObjects as? [String] ?? []).joined(separator: " ")
        #expect(!stored.contains("snapshots/2"), "no manifest: \(stored)")
    }

    @Test func aFileThatKeepsChangingFailsByNameAndNoSnapshotIsWritten() throws {
        let t = TempDir("changing-fail")
        let (src, file) = try tree(t)
        let c = try create(t, src)
        try overwrite(file)
        c.resume()
        try c.waitForPause()
        try append(file)
        #expect(c.finish() == 1, "\(c.log)")
        #expect(c.log.contains("'db/000007.log' changed while being read, and again"), "\(c.log)")
        #expect(c.log.contains("--allow-changing"))
        #expect(try snapshotCount(t) == 0)
    }

    @Test func allowChangingStoresItKnowinglyWithAWarning() throws {
        let t = TempDir("changing-allow")
        let (src, file) = try tree(t)
        let c = try create(t, src, extra: ["--allow-changing"])
        try overwrite(file)
        c.resume()
        try c.waitForPause()
        try overwrite(file)
        #expect(c.finish() == 0, "\(c.log)")
        #expect(c.log.contains("warning: stored 'db/000007.log' as read although it changed"), "\(c.log)")
        #expect(try snapshotCount(t) == 1)
    }
}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let v = self else { throw ServerError("nil") }
        return v
    }
}
