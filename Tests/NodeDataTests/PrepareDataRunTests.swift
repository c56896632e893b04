import Foundation
import NodeData
import RestoreCore
import SnapshotCore
import Testing
import TestSupport

/// A `node prepare-data` run past its flags, on real temp folders, with the child restore a closure:
/// which restore it runs, what it logs, and which outcome it reports itself.
@Suite("PrepareDataRun")
struct PrepareDataRunTests {
    let call = RestoreCall(source: ["--from", "s3://snaps/lux"], snapshot: "snap-1", store: ["--path-style"])

    func setup(_ name: String, dryRun: Bool = false) throws -> (TempDir, PrepareDataExecutor, LineLog) {
        let tmp = TempDir(name)
        let log = LineLog()
        let layout = try DataLayout(dataDir: tmp.sub("data"), chainData: ["db"], restorePath: "db")
        return (tmp, PrepareDataExecutor(layout: layout, dryRun: dryRun, log: { log.add($0) }), log)
    }

    @Test("an empty target: the planned restore runs as `snapshot restore` of the call into the target; the restore reports, not the run")
    func restores() async throws {
        let (_, ex, log) = try setup("pdr-restore")
        let ran = LineLog(), decided = LineLog()
        try await PrepareDataRun(sourceGiven: true, snapshot: "snap-1", call: call)
            .run(ex, runRestore: { ran.add($0.joined(separator: " ")); return 0 }, decided: { decided.add("\($0.map { "\($0)" } ?? "ok")") })
        #expect(ran.lines == ["snapshot restore --from s3://snaps/lux --snapshot snap-1 \(ex.layout.target) --path-style"])
        #expect(log.lines.contains("running: chainsnap snapshot restore --from s3://snaps/lux --snapshot snap-1 \(ex.layout.target) --path-style"))
        #expect(log.lines.last == "restore finished")
        #expect(decided.lines.isEmpty, "the restore writes --metrics-file itself")
    }

    @Test("a restore that fails exits with its status, says so, and is not reported twice")
    func restoreFails() async throws {
        let (_, ex, log) = try setup("pdr-fail")
        let decided = LineLog()
        let e = await #expect(throws: ReportedExit.self) {
            try await PrepareDataRun(sourceGiven: true, snapshot: nil, call: call)
                .run(ex, runRestore: { _ in 3 }, decided: { _ in decided.add("called") })
        }
        #expect(e == ReportedExit(status: 3))
        #expect(log.lines.last == "restore exited with status 3; see its message above")
        #expect(decided.lines.isEmpty)
    }

    @Test("a restored target is left alone and the run reports success; nothing is run")
    func leaves() async throws {
        let (_, ex, log) = try setup("pdr-leave")
        try FileManager.default.createDirectory(atPath: ex.layout.target, withIntermediateDirectories: true)
        let m = RestoreMarker(kind: "snapshot", identity: "snap-1", source: "s3://snaps/lux", bytes: 3)
        try JSONEncoder().encode(m).write(to: URL(fileURLWithPath: ex.layout.target + "/" + ReservedNames.marker))
        let decided = LineLog()
        try await PrepareDataRun(sourceGiven: true, snapshot: nil, call: call)
            .run(ex, runRestore: { _ in Issue.record("a restored target was restored again"); return 0 }, decided: { decided.add($0 == nil ? "ok" : "failed") })
        #expect(decided.lines == ["ok"])
        #expect(!log.lines.contains { $0.hasPrefix("running:") })
    }

    @Test("a run that fails before any restore reports the failure itself")
    func failsBeforeRestore() async throws {
        let (_, ex, _) = try setup("pdr-refused")
        let decided = LineLog()
        let request = RecoveryInput(id: "req-1", pod: "luxd-0", mode: .restore)
        await #expect(throws: ChainsnapError.self) {
            try await PrepareDataRun(sourceGiven: false, snapshot: nil, recovery: request, call: RestoreCall(source: []))
                .run(ex, runRestore: { _ in 0 }, decided: { decided.add(($0 as? ChainsnapError)?.code.name ?? "none") })
        }
        #expect(decided.lines == ["invalid-argument"], "a recovery request without a source is refused and reported")
    }

    @Test("a dry run names the restore it would run, runs nothing, reports nothing and leaves no folder behind")
    func dryRun() async throws {
        let (_, ex, log) = try setup("pdr-dry", dryRun: true)
        let decided = LineLog()
        try await PrepareDataRun(sourceGiven: true, snapshot: nil, call: call)
            .run(ex, runRestore: { _ in Issue.record("a dry run ran the restore"); return 0 }, decided: { _ in decided.add("called") })
        #expect(log.lines.contains("would run: chainsnap snapshot restore --from s3://snaps/lux --snapshot snap-1 \(ex.layout.target) --path-style"))
        #expect(decided.lines.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: ex.layout.dataDir))
    }
}
