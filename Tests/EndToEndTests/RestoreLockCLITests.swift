import Foundation
import Testing
import TestSupport

/// One restore per target (issue #10 item 2), with two real processes of the built binary.
@Suite struct RestoreLockCLITests {
    let bin = Paths.chainsnapBinary

    /// A store holding two snapshots of different trees; returns (store URL, id1, id2).
    func twoSnapshots(_ t: TempDir) throws -> (String, String, String) {
        try Trees.makeSample(at: t.sub("src1"), largeFileSize: 1 << 20, seed: 1)
        try Trees.makeSample(at: t.sub("src2"), largeFileSize: 1 << 20, seed: 2)
        let store = "file://" + t.sub("store")
        var ids: [String] = []
        for src in ["src1", "src2"] {
            let c = try run(bin, ["snapshot", "create", t.sub(src), "--to", store, "--chunk-size", "256KiB"])
            #expect(c.status == 0, "\(c.stderr)")
            ids.append(c.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (store, ids[0], ids[1])
    }

    @Test func aSecondRestoreOfAnotherSnapshotRefusesAndTheFirstCompletes() throws {
        let t = TempDir("lock")
        let (store, id1, id2) = try twoSnapshots(t)
        let target = t.sub("target")
        let first = try PausedRun(["snapshot", "restore", "--from", store, "--snapshot", id1, target], point: "commit", in: t.path)

        let second = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id2, target, "--force"])
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("pid \(first.process.pid)"), "names the holder's pid: \(second.stderr)")
        #expect(second.stderr.contains("snapshot \(id1)"), "names what the holder restores: \(second.stderr)")
        #expect(second.stderr.contains("--wait-lock"))
        // The first run's staging is untouched.
        let state = try String(contentsOfFile: target + "/.chainsnap-staging/state.json", encoding: .utf8)
        #expect(state.contains(id1))

        #expect(first.finish() == 0, "\(first.log)")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src1")), "the tree is exactly the first snapshot")
        #expect(!FileManager.default.fileExists(atPath: target + "/.chainsnap-lock"), "a finished restore removes its lock file")
        let again = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id1, target])
        #expect(again.status == 0 && again.stderr.contains("nothing to do"), "\(again.stderr)")
    }

    @Test func theLockDiesWithAHolderKilledByKill9() throws {
        let t = TempDir("lock-kill")
        let (store, id1, id2) = try twoSnapshots(t)
        let target = t.sub("target")
        let first = try PausedRun(["snapshot", "restore", "--from", store, "--snapshot", id1, target], point: "commit", in: t.path)
        first.kill9()
        #expect(FileManager.default.fileExists(atPath: target + "/.chainsnap-lock"), "the killed run left its lock file")

        let second = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id2, target])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("discarding the unfinished staging of a different restore"), "\(second.stderr)")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src2")))
    }

    @Test func waitLockWaitsForTheHolderThenDecidesOnWhatItLeft() throws {
        let t = TempDir("lock-wait")
        let (store, id1, _) = try twoSnapshots(t)
        let target = t.sub("target")
        let first = try PausedRun(["snapshot", "restore", "--from", store, "--snapshot", id1, target], point: "commit", in: t.path)

        // A second run of the same restore with --wait-lock: it waits, then finds the work done.
        let waiter = try PausedRun(["snapshot", "restore", "--from", store, "--snapshot", id1, target, "--wait-lock", "120"],
                                   point: "never", in: t.path, label: "b", waitForPause: false)
        let deadline = Date().addingTimeInterval(60)
        while !waiter.log.contains("waiting up to 120 s") && Date() < deadline { usleep(20_000) }
        #expect(waiter.log.contains("waiting up to 120 s for pid \(first.process.pid)"), "\(waiter.log)")
        #expect(first.finish() == 0)
        #expect(waiter.finish() == 0, "\(waiter.log)")
        #expect(waiter.log.contains("nothing to do"), "\(waiter.log)")
    }

    @Test func prepareDataHoldsTheTargetThroughItsChildRestore() throws {
        let t = TempDir("lock-pd")
        let (store, id1, id2) = try twoSnapshots(t)
        let data = t.sub("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let first = try PausedRun(["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--from", store,
                                   "--snapshot", id1], point: "commit", in: t.path)
        #expect(first.pausedPid != first.process.pid, "the child restore (holding the inherited lock) paused")

        let second = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id2, data + "/db"])
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("pid \(first.pausedPid)") && second.stderr.contains(id1), "\(second.stderr)")
        let pd = try run(bin, ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--from", store, "--snapshot", id2])
        #expect(pd.status == 75, "\(pd.output)")

        #expect(first.finish() == 0, "\(first.log)")
        #expect(try Trees.describe(data + "/db") == Trees.describe(t.sub("src1")))
    }
}
