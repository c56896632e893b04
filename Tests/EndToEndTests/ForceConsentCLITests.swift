import Foundation
import Testing
import TestSupport

/// `--force` does not carry over (issue #10 item 8): a killed `--force` restore, re-run without
/// `--force`, must not delete the target's existing data.
@Suite struct ForceConsentCLITests {
    let bin = Paths.chainsnapBinary
    let fm = FileManager.default

    /// A target holding an operator's data: two top-level entries.
    func oldData(_ target: String) throws {
        try fm.createDirectory(atPath: target + "/chaindata", withIntermediateDirectories: true)
        try Data("old block data".utf8).write(to: URL(fileURLWithPath: target + "/chaindata/000001.ldb"))
        try Data("old config".utf8).write(to: URL(fileURLWithPath: target + "/config.json"))
    }

    /// Where each old entry is now: in the target, or moved aside into the staging folder.
    func oldDataStillExists(_ target: String) -> Bool {
        let aside = target + "/.chainsnap-staging/replaced"
        return (fm.fileExists(atPath: target + "/chaindata/000001.ldb") || fm.fileExists(atPath: aside + "/chaindata/000001.ldb"))
            && (fm.fileExists(atPath: target + "/config.json") || fm.fileExists(atPath: aside + "/config.json"))
    }

    /// kill -9 of a `--force` restore at `point`, then: without --force → exit 3 and the old data
    /// kept; with --force → the new tree, exactly.
    func killedForceRestore(from source: String, want: String, point: String, t: TempDir) throws {
        let target = t.sub("target-\(point)")
        try oldData(target)
        let first = try PausedRun(["snapshot", "restore", "--from", source, target, "--force"], point: point, in: t.path, label: point)
        first.kill9()
        #expect(oldDataStillExists(target), "nothing deleted yet")

        let again = try run(bin, ["snapshot", "restore", "--from", source, target])
        #expect(again.status == 3, "a run without --force must refuse: \(again.stderr)")
        #expect(again.stderr.contains("--force") && again.stderr.contains("nothing was changed"), "\(again.stderr)")
        #expect(oldDataStillExists(target), "the run without --force deleted existing data")

        let forced = try run(bin, ["snapshot", "restore", "--from", source, target, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Trees.describe(target) == Trees.describe(want))
        #expect(!fm.fileExists(atPath: target + "/config.json") && !fm.fileExists(atPath: target + "/.chainsnap-staging"))
    }

    @Test(.requires("tar")) func aKilledForceArchiveRestoreNeedsForceAgain() throws {
        let t = TempDir("force-archive")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let archive = t.sub("node.tar")
        let mk = try run("tar", ["--format=pax", "-cf", archive, "-C", t.sub("src"), "."])
        #expect(mk.status == 0, "\(mk.stderr)")
        // Killed while moving the old entries aside, and killed before the move began.
        try killedForceRestore(from: "file://" + archive, want: t.sub("src"), point: "moved-aside", t: t)
        try killedForceRestore(from: "file://" + archive, want: t.sub("src"), point: "commit", t: t)
    }

    @Test func aKilledForceSnapshotRestoreNeedsForceAgain() throws {
        let t = TempDir("force-snap")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--chunk-size", "256KiB"])
        #expect(c.status == 0, "\(c.stderr)")
        try killedForceRestore(from: store, want: t.sub("src"), point: "moved-aside", t: t)
        try killedForceRestore(from: store, want: t.sub("src"), point: "commit", t: t)
    }
}
