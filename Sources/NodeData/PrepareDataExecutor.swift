import Foundation
import SnapshotCore
import LocalFS
import RestoreCore

/// Reads a data folder into a `DataFolderState` and carries out a `PrepareDataPlan`: prints its
/// lines, removes only the planned chain data paths, runs the restore it is given, and records
/// the clear-data token once that restore succeeded. With `dryRun` it says what it would remove
/// and changes nothing itself (the restore closure is told the same through its own flag).
public struct PrepareDataExecutor: Sendable {
    public let layout: DataLayout
    public let dryRun: Bool
    public let log: @Sendable (String) -> Void
    /// Seconds to wait for another run holding the restore target (`TargetLock`); 0 refuses at once.
    public var lockWait: Double = 0
    /// What the lock file names as being restored (the source, redacted).
    public var lockWhat: String = "node prepare-data"
    /// Records a recovery request's progress in the data folder (Fleet's `Recovery.writeRecord`),
    /// so a restart resumes it without a second wipe and never repeats it once done.
    public var recordRecovery: (@Sendable (RecoveryInput, RecoveryInput.Stage) throws -> Void)?

    public init(layout: DataLayout, dryRun: Bool = false, log: @escaping @Sendable (String) -> Void) {
        self.layout = layout
        self.dryRun = dryRun
        self.log = log
    }

    /// What is in the data folder now. A target that does not exist yet reads as empty.
    public func survey() -> DataFolderState {
        let target = layout.target
        let names = (try? FS.listDirectory(target)) ?? []
        let markerPath = target + "/" + ReservedNames.marker
        var marker = DataFolderState.Marker.absent
        if FS.exists(markerPath) {
            let decoded = (try? FS.readFile(markerPath)).flatMap { try? JSONDecoder().decode(RestoreMarker.self, from: Data($0)) }
            marker = decoded.map { .present($0) } ?? .unreadable
        }
        let token = (try? FS.readFile(layout.clearDataTokenFile))
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return DataFolderState(marker: marker, stagingPresent: names.contains(ReservedNames.staging),
                               otherEntries: names.filter { !ReservedNames.all.contains($0) }.sorted(),
                               presentChainData: layout.chainData.filter { FS.exists(layout.path($0)) },
                               clearDataTokenDone: token)
    }

    /// Locks the restore target (unless a dry run), then surveys the folder, makes the plan from
    /// what it found (`planning`) and carries it out (`execute`). Surveying under the lock keeps a
    /// run that waited for another (`lockWait`) from acting on what the folder held before.
    public func prepare(planning: (DataFolderState) -> PrepareDataPlan, restore: () async throws -> Void) async throws {
        // No target folder and nothing to do (no source): leave the volume exactly as it is.
        if !FS.exists(layout.target), case let plan = planning(survey()), plan.action == .leave {
            return try await execute(plan, restore: restore)
        }
        var lock: TargetLock?
        if !dryRun {
            try FS.makeDirectories(layout.target)
            lock = try TargetLock.acquire(target: FS.absolute(layout.target), what: lockWhat, wait: lockWait, log: log)
        }
        defer { lock?.release() }
        try await execute(planning(survey()), restore: restore)
    }

    /// Prints the plan and acts on it. `restore` runs the restore into `layout.target` (and
    /// handles the dry run itself); it is called for `restore` and `clearThenRestore`.
    /// Unless it is a dry run, the restore target is locked (`TargetLock`) before the clear step
    /// and until the restore ends; child processes `restore` starts inherit the lock.
    public func execute(_ plan: PrepareDataPlan, restore: () async throws -> Void) async throws {
        log("data dir \(layout.dataDir); chain data \(layout.chainData.joined(separator: ", ")); restore target \(layout.target)")
        plan.lines.forEach(log)
        if case .recoveryWithoutSource(let r) = plan.reason {
            throw ChainsnapError(.invalidArgument, "\(r.phrase) asks for a restore but neither it nor --from names a source",
                                 hint: "run `chainsnap fleet recover` with --from URL, or set the chart's initMode.from")
        }
        if plan.action == .leave { return try recorded(plan, .done) }
        var lock: TargetLock?
        if !dryRun {
            try FS.makeDirectories(layout.target)
            lock = try TargetLock.acquire(target: FS.absolute(layout.target), what: lockWhat, wait: lockWait, log: log)
            try lock?.exportToChildren()
        }
        defer { lock?.release() }
        switch plan.action {
        case .leave:
            return
        case .restore:
            try await restore()
        case .clearThenRestore, .clear:
            for p in plan.remove {
                let full = layout.path(p)
                if dryRun { log("would remove \(full)"); continue }
                do { try removeKeepingLock(full) } catch {
                    throw ChainsnapError(.io, "could not remove \(full)", object: full,
                                         hint: "check the volume is writable by this container", underlying: error)
                }
                log("removed \(full)")
            }
            try recorded(plan, .wiped)
            if plan.action == .clearThenRestore { try await restore() }
            if let token = plan.recordToken, !dryRun { try record(token: token) }
        }
        try recorded(plan, .done)
    }

    /// Records the plan's recovery request at `stage` (not in a dry run).
    func recorded(_ plan: PrepareDataPlan, _ stage: RecoveryInput.Stage) throws {
        guard let r = plan.recovery, !dryRun, let recordRecovery else { return }
        try recordRecovery(r, stage)
    }

    /// Removes `path`, or, when the locked restore target is `path` or inside it, everything there
    /// but the folders leading to the lock file and the lock file itself (so the lock stays held
    /// on the file other runs open).
    func removeKeepingLock(_ path: String) throws {
        let full = FS.absolute(path)
        let lockFile = TargetLock.path(for: FS.absolute(layout.target))
        guard lockFile.hasPrefix(full + "/") else { return try FS.removeTree(full) }
        for name in try FS.listDirectory(full) {
            let child = full + "/" + name
            if child == lockFile { continue }
            if lockFile.hasPrefix(child + "/") { try removeKeepingLock(child) } else { try FS.removeTree(child) }
        }
    }

    func record(token: String) throws {
        let file = layout.clearDataTokenFile
        do {
            try FS.makeDirectories(layout.dataDir)
            try FS.writeAtomically(file, bytes: Array((token + "\n").utf8))
        } catch {
            throw ChainsnapError(.io, "could not record the clear-data token in \(file)", object: file,
                                 hint: "the next start would clear again; check the volume is writable", underlying: error)
        }
    }
}
