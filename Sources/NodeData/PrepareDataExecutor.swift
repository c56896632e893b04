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

    /// Prints the plan and acts on it. `restore` runs the restore into `layout.target` (and
    /// handles the dry run itself); it is called for `restore` and `clearThenRestore`.
    public func execute(_ plan: PrepareDataPlan, restore: () async throws -> Void) async throws {
        log("data dir \(layout.dataDir); chain data \(layout.chainData.joined(separator: ", ")); restore target \(layout.target)")
        plan.lines.forEach(log)
        switch plan.action {
        case .leave:
            return
        case .restore:
            try await restore()
        case .clearThenRestore:
            for p in plan.remove {
                let full = layout.path(p)
                if dryRun { log("would remove \(full)"); continue }
                do { try FS.removeTree(full) } catch {
                    throw ChainsnapError(.io, "could not remove \(full)", object: full,
                                         hint: "check the volume is writable by this container", underlying: error)
                }
                log("removed \(full)")
            }
            try await restore()
            if let token = plan.recordToken, !dryRun { try record(token: token) }
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
