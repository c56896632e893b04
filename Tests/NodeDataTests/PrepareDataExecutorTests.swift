import Foundation
import LocalFS
import NodeData
import SnapshotCore
import RestoreCore
import Testing
import TestSupport

/// The executor on real temp folders: what it reads, what it removes, what it keeps.
@Suite("PrepareDataExecutor")
struct PrepareDataExecutorTests {
    let fm = FileManager.default

    func write(_ path: String, _ text: String = "v") throws {
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func layout(_ tmp: TempDir) throws -> DataLayout {
        try DataLayout(dataDir: tmp.sub("data"), chainData: ["db", "chainData"], restorePath: "db")
    }

    @Test("survey reads the marker, the staging folder, other entries, chain data and the token")
    func survey() throws {
        let tmp = TempDir("nd-survey")
        let l = try layout(tmp)
        let ex = PrepareDataExecutor(layout: l, log: { _ in })
        #expect(ex.survey() == DataFolderState(), "a data folder that does not exist yet reads as empty")

        let m = RestoreMarker(kind: "snapshot", identity: "snap-1", source: "file:///s", bytes: 3)
        try fm.createDirectory(atPath: l.target + "/" + ReservedNames.staging + "/tree", withIntermediateDirectories: true)
        try write(l.target + "/CURRENT")
        try write(l.target + "/" + ReservedNames.marker, String(decoding: try JSONEncoder().encode(m), as: UTF8.self))
        try write(l.clearDataTokenFile, "rev-3\n")
        try fm.createSymbolicLink(atPath: l.path("chainData"), withDestinationPath: "/nonexistent")
        #expect(ex.survey() == DataFolderState(marker: .present(m), stagingPresent: true, otherEntries: ["CURRENT"],
                                               presentChainData: ["db", "chainData"], clearDataTokenDone: "rev-3"))

        try write(l.target + "/" + ReservedNames.marker, "{\"snapshot\":\"s1\"}")
        #expect(ex.survey().marker == .unreadable)
    }

    @Test("a recovery request's wipe runs under the target lock: refused while another run holds it; then wiped, restored, recorded")
    func recoveryUnderLock() async throws {
        let tmp = TempDir("nd-recovery")
        let l = try layout(tmp)
        for f in ["db/x/1.ldb", "chainData/C/s", "staking/staker.key", "logs/l"] { try write(l.path(f)) }
        let request = RecoveryInput(id: "req-9", pod: "luxd-2", mode: .restore)
        let plan: @Sendable (DataFolderState) -> PrepareDataPlan = {
            PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: $0, sourceGiven: true, recovery: request))
        }
        let recorded = LineLog(), log = LineLog()
        var ex = PrepareDataExecutor(layout: l, log: { log.add($0) })
        ex.recordRecovery = { recorded.add("\($0.id) \($1.rawValue)") }
        // Another run (its own open file description) holds the target's lock: nothing is removed.
        let other = try FileLock(path: TargetLock.path(for: FS.absolute(l.target)))
        #expect(try other.tryLock())
        await #expect(throws: ChainsnapError.self) { try await ex.prepare(planning: plan, restore: { Issue.record("restored while locked") }) }
        #expect(fm.fileExists(atPath: l.path("db/x/1.ldb")) && fm.fileExists(atPath: l.path("chainData/C/s")))
        #expect(recorded.lines.isEmpty)
        other.unlock()
        // Free: the chain data goes (the lock file stays in the target), the restore runs, the request is recorded wiped then done.
        let restoredWhileWiped = LineLog()
        try await ex.prepare(planning: plan, restore: {
            restoredWhileWiped.add(self.fm.fileExists(atPath: l.path("db/x/1.ldb")) ? "chain data still there" : "wiped")
            restoredWhileWiped.add(recorded.lines.joined(separator: ","))
        })
        #expect(restoredWhileWiped.lines == ["wiped", "req-9 wiped"])
        #expect(recorded.lines == ["req-9 wiped", "req-9 done"])
        #expect(!fm.fileExists(atPath: l.path("chainData")) && fm.fileExists(atPath: l.path("staking/staker.key")) && fm.fileExists(atPath: l.path("logs/l")))
        #expect(log.lines.contains("decision: clear and restore — one-shot recovery request req-9 for pod luxd-2; removing db, chainData; keeping staking and everything else"))
    }

    @Test("clear then restore removes only the chain data, runs the restore, records the token")
    func clearThenRestore() async throws {
        let tmp = TempDir("nd-clear")
        let l = try layout(tmp)
        for f in ["db/x/1.ldb", "chainData/C/s", "staking/staker.key", "logs/l"] { try write(l.path(f)) }
        // A chain data path that is a symlink is removed as a link; what it points to stays.
        let outside = tmp.sub("outside")
        try write(outside + "/keep")
        try fm.removeItem(atPath: l.path("chainData"))
        try fm.createSymbolicLink(atPath: l.path("chainData"), withDestinationPath: outside)

        let log = LineLog()
        let ex = PrepareDataExecutor(layout: l, log: log.add)
        let plan = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true, clearData: true, clearDataToken: "rev-1"))
        #expect(plan.action == .clearThenRestore)
        var restored = false
        try await ex.execute(plan) {
            // The restore target keeps only the lock file the clear and the restore hold (TargetLock).
            #expect((try? fm.contentsOfDirectory(atPath: l.path("db"))) == [ReservedNames.lock]
                    && (try? fm.destinationOfSymbolicLink(atPath: l.path("chainData"))) == nil,
                    "the restore runs after the clear")
            try write(l.target + "/restored")
            restored = true
        }
        #expect(restored)
        #expect(fm.fileExists(atPath: l.target + "/restored"))
        #expect(fm.fileExists(atPath: l.path("staking/staker.key")) && fm.fileExists(atPath: l.path("logs/l")))
        #expect(fm.fileExists(atPath: outside + "/keep"))
        #expect((try? String(contentsOfFile: l.clearDataTokenFile, encoding: .utf8)) == "rev-1\n")
        #expect(log.lines.contains("removed \(l.path("db"))") && log.lines.contains("removed \(l.path("chainData"))"))
        #expect(log.lines.first?.hasPrefix("data dir \(l.dataDir); chain data db, chainData; restore target \(l.target)") == true)

        // The same token again: the executor is handed a plan that does not clear.
        let again = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true, clearData: true, clearDataToken: "rev-1"))
        #expect(again.action == .leave && again.notes == [.clearAlreadyDone(token: "rev-1")])
    }

    @Test("a failed restore records no token, so the next start clears and restores again")
    func failedRestoreKeepsNoToken() async throws {
        let tmp = TempDir("nd-fail")
        let l = try layout(tmp)
        try write(l.path("db/x"))
        let ex = PrepareDataExecutor(layout: l, log: { _ in })
        let plan = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true, clearData: true, clearDataToken: "rev-2"))
        await #expect(throws: ChainsnapError.self) {
            try await ex.execute(plan) { throw ChainsnapError(.network, "store unreachable") }
        }
        #expect(!fm.fileExists(atPath: l.clearDataTokenFile))
    }

    @Test("dry run removes nothing and records no token")
    func dryRun() async throws {
        let tmp = TempDir("nd-dry")
        let l = try layout(tmp)
        try write(l.path("db/x/1.ldb"))
        let log = LineLog()
        let ex = PrepareDataExecutor(layout: l, dryRun: true, log: log.add)
        let plan = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true, clearData: true, clearDataToken: "t"))
        var calls = 0
        try await ex.execute(plan) { calls += 1 }
        #expect(calls == 1, "the restore closure is told about the dry run by its caller and still says what it would run")
        #expect(fm.fileExists(atPath: l.path("db/x/1.ldb")) && !fm.fileExists(atPath: l.clearDataTokenFile))
        #expect(log.lines.contains("would remove \(l.path("db"))"))
    }

    @Test("leave and restore plans touch nothing but what the restore writes")
    func leaveAndRestore() async throws {
        let tmp = TempDir("nd-leave")
        let l = try layout(tmp)
        try write(l.path("db/000001.ldb"))
        let ex = PrepareDataExecutor(layout: l, log: { _ in })
        let leave = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true))
        #expect(leave.action == .leave)
        try await ex.execute(leave) { Issue.record("a leave plan must not restore") }
        #expect(fm.fileExists(atPath: l.path("db/000001.ldb")))

        try fm.removeItem(atPath: l.path("db/000001.ldb"))
        try fm.createDirectory(atPath: l.target + "/" + ReservedNames.staging, withIntermediateDirectories: true)
        let resume = PrepareDataPlan.make(PrepareDataInputs(layout: l, folder: ex.survey(), sourceGiven: true))
        #expect(resume.action == .restore && resume.reason == .interruptedRestore)
        var ran = false
        try await ex.execute(resume) { ran = true }
        #expect(ran && fm.fileExists(atPath: l.target + "/" + ReservedNames.staging))
    }
}

@Suite("RestoreCall")
struct RestoreCallTests {
    @Test("the snapshot restore arguments: source, checks passed on, target, store and metrics flags, progress file")
    func arguments() {
        let all = RestoreCall(source: ["--from", "s3://snaps/lux"], snapshot: "snap-1", sha256: "ab", trustedKeys: "/keys", network: "mainnet",
                              chainId: "96369", allowOtherNetwork: true, store: ["--s3-endpoint", "http://x"], metrics: ["--metrics-file", "/m"],
                              progressFile: "/p.json")
        #expect(all.arguments(target: "/data/db") == ["snapshot", "restore", "--from", "s3://snaps/lux", "--snapshot", "snap-1", "--sha256", "ab",
                                                      "--trusted-keys", "/keys", "--network", "mainnet", "--chain-id", "96369", "--allow-other-network",
                                                      "/data/db", "--s3-endpoint", "http://x", "--metrics-file", "/m", "--progress-file", "/p.json"])
        #expect(RestoreCall(source: ["--from-file", "/f"]).arguments(target: "/t") == ["snapshot", "restore", "--from-file", "/f", "/t"])
    }
}
