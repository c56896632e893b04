#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LocalFS
import Transfer
import SnapshotCore

/// What a restore left in the target: `TARGET/.chainsnap-restore.json`.
/// A restarted pod reads it and does not restore the same thing again.
public struct RestoreMarker: Codable, Sendable, Equatable {
    /// `snapshot` or `archive`.
    public var kind: String
    /// What was restored: a snapshot id, or an archive key/URL (redacted).
    public var identity: String
    /// The store or archive URL (redacted).
    public var source: String
    public var restoredAt: String
    public var tool: String
    public var network: String?
    public var height: UInt64?
    public var blockHash: String?
    public var bytes: Int64
    public var sha256: String?

    public init(kind: String, identity: String, source: String, network: String? = nil, height: UInt64? = nil,
                blockHash: String? = nil, bytes: Int64, sha256: String? = nil) {
        self.kind = kind
        self.identity = identity
        self.source = source
        let f = ISO8601DateFormatter()
        self.restoredAt = f.string(from: Date())
        self.tool = "chainsnap \(toolVersion)"
        self.network = network
        self.height = height
        self.blockHash = blockHash
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// Where an unfinished restore stopped. The raw values are what `state.json` has always held.
public enum StagingPhase: String, Codable, Sendable, CustomStringConvertible {
    /// Entries are being written into the staging tree; nothing in the target has changed yet.
    case writing
    /// Every byte was verified and entries are moving into place: finish the move, never redo it.
    case moving

    public var description: String { rawValue }
}

/// The state file of an unfinished restore inside the staging folder.
///
/// `replaceExisting` records what the run that began the staging was allowed to do; it never
/// carries over: a resumed run replaces existing data only with its own consent (`--force` or
/// `--reuse-existing`). `movedAside` says the move into place got past its first step: existing
/// entries (if replaced) are in `.chainsnap-staging/replaced`, deleted only when the move
/// finishes, and every entry now in the target came from this restore.
struct StagingState: Codable, Equatable {
    var identity: String
    var replaceExisting: Bool
    var phase: StagingPhase
    var movedAside: Bool?
}

/// A restore target and its safety rules (DESIGN.md, "Restore safety"):
/// never overwrite without consent, check space first, build everything in a staging folder
/// on the same filesystem, move into place only when verified, record a marker.
///
/// The staging folder lives inside the target (`TARGET/.chainsnap-staging`) so it is on the
/// same filesystem even when the target is a volume's mount point.
public final class RestoreTarget: @unchecked Sendable {
    public let path: String
    public var stagingRoot: String { path + "/" + ReservedNames.staging }
    /// Where the restored tree is built.
    public var stagingTree: String { stagingRoot + "/tree" }
    public var markerPath: String { path + "/" + ReservedNames.marker }
    var statePath: String { stagingRoot + "/state.json" }
    var oldRoot: String { stagingRoot + "/replaced" }

    /// Opens (creating if needed) the target folder. Its parent must exist.
    public init(path: String) throws {
        let abs = FS.absolute(path)
        if !FS.exists(abs) {
            guard FS.isDirectory(FS.parent(of: abs)) else {
                throw ChainsnapError(.notFound, "the parent folder of '\(abs)' does not exist", object: abs,
                                     hint: "check the target path (is the volume mounted?)")
            }
            try FS.makeDirectories(abs)
        }
        guard FS.isDirectory(abs) else {
            throw ChainsnapError(.invalidArgument, "restore target '\(abs)' exists and is not a folder", object: abs)
        }
        self.path = abs
    }

    /// The marker of the last completed restore, if any.
    public func readMarker() -> RestoreMarker? {
        guard let bytes = try? FS.readFile(markerPath) else { return nil }
        return try? JSONDecoder().decode(RestoreMarker.self, from: Data(bytes))
    }

    /// Top-level names in the target other than chainsnap's own.
    public func existingEntries() throws -> [String] {
        try FS.listDirectoryBytes(Array(path.utf8)).map(PathRules.display).filter { !ReservedNames.all.contains($0) }.sorted()
    }

    /// The decision for a new restore of `identity`.
    public enum Plan: Equatable, Sendable {
        /// The marker says this exact thing is already restored and nothing is half-done.
        case alreadyRestored(RestoreMarker)
        /// A previous run of the same restore was interrupted; continue it.
        case resume(phase: StagingPhase, replaceExisting: Bool)
        /// Start afresh.
        case fresh(replaceExisting: Bool)
    }

    /// Decides what to do. Throws `.targetNotEmpty` (exit 3) when existing data would be
    /// replaced without `force`.
    public func plan(identity: String, force: Bool, allowExisting: Bool = false, log: (String) -> Void) throws -> Plan {
        if let state = readState() {
            if state.identity == identity {
                let consent = force || allowExisting
                let oldData = !((try? FS.listDirectory(oldRoot)) ?? []).isEmpty
                let existingData = try state.movedAside != true && !existingEntries().isEmpty
                if (existingData || oldData) && !consent {
                    // Consent is given by the run that deletes, never inherited from a killed one.
                    var what = "an interrupted restore of \(state.identity) into '\(path)' "
                    what += state.replaceExisting ? "was replacing its existing contents (--force)" : "finds existing contents there"
                    if oldData { what += "; some of them are already moved aside into \(oldRoot)" }
                    throw ChainsnapError(.targetNotEmpty, what + "; this run was not given --force, so nothing was changed", object: path,
                                         hint: "run the same restore again with --force to finish replacing the old data (it is then deleted), or move the old data out of the way yourself")
                }
                return .resume(phase: state.phase, replaceExisting: existingData || oldData)
            }
            if state.phase == .moving {
                throw ChainsnapError(.targetNotEmpty,
                                     "an interrupted restore of \(state.identity) was moving files into '\(path)'",
                                     object: path, hint: "run the same restore again to finish it, or clear the folder by hand")
            }
            log("discarding the unfinished staging of a different restore (\(state.identity))")
            try FS.removeTree(stagingRoot)
        } else if FS.exists(stagingRoot) {
            try FS.removeTree(stagingRoot)
        }
        let existing = try existingEntries()
        // A marker written by an older chainsnap may hold a URL its looser rules redacted less: compare it redacted by today's.
        if let m = readMarker(), m.identity == identity || Redact.text(m.identity) == identity, !existing.isEmpty || m.bytes == 0 {
            return .alreadyRestored(m)
        }
        if !existing.isEmpty && !force && !allowExisting {
            let shown = existing.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = existing.count > 5 ? " and \(existing.count - 5) more" : ""
            var what = "restore target '\(path)' is not empty: it holds \(shown)\(more)"
            if let m = readMarker() { what += " (restored from \(m.identity) at \(m.restoredAt))" }
            throw ChainsnapError(.targetNotEmpty, what + "; nothing was changed", object: path,
                                 hint: "pass --force to replace its contents, --reuse-existing to update it in place as a delta, or choose an empty folder")
        }
        return .fresh(replaceExisting: !existing.isEmpty)
    }

    /// Refuses to start when the filesystem lacks the space or inodes the restore needs.
    public func checkSpace(bytes: Int64, inodes: Int64) throws {
        let free = try FS.freeSpace(path)
        let margin = max(Int64(64 << 20), bytes / 100)
        if bytes + margin > free.bytes {
            throw ChainsnapError(.insufficientSpace,
                                 "not enough free space in '\(path)': the restore needs \(ByteCount.format(bytes + margin)) (with margin), \(ByteCount.format(free.bytes)) is free",
                                 object: path, hint: "grow the volume or free space, then run again; nothing was changed")
        }
        if free.inodes > 0 && inodes + 64 > free.inodes {
            throw ChainsnapError(.insufficientSpace,
                                 "not enough free inodes in '\(path)': the restore needs \(inodes + 64), \(free.inodes) are free",
                                 object: path, hint: "use a filesystem with more inodes; nothing was changed")
        }
    }

    /// Creates the staging folder and records what is being restored there.
    public func beginStaging(identity: String, replaceExisting: Bool) throws {
        try FS.makeDirectories(stagingTree, mode: 0o700)
        try writeState(StagingState(identity: identity, replaceExisting: replaceExisting, phase: .writing))
    }

    /// Moves the verified staging tree into place, writes the marker and removes the staging folder.
    /// Existing entries (only when `replaceExisting`) are first moved aside into the staging folder,
    /// so an interrupted commit can be finished by running the same restore again.
    public func commit(marker: RestoreMarker, replaceExisting: Bool) throws {
        TestPause.here("commit", detail: marker.identity)
        guard var state = readState() else {
            throw ChainsnapError(.io, "staging state of '\(path)' vanished before the final move", object: stagingRoot)
        }
        if state.phase != .moving {
            state.phase = .moving
            try writeState(state)
        }
        try FS.makeDirectories(oldRoot, mode: 0o700)
        // Names as bytes: an archive's names need not be UTF-8.
        let incoming = try FS.listDirectoryBytes(Array(stagingTree.utf8))
        let target = Array(path.utf8) + [0x2f], staged = Array(stagingTree.utf8) + [0x2f], old = Array(oldRoot.utf8) + [0x2f]
        if state.movedAside == true {
            // Resumed after the first step: what is in the target now came from this restore.
        } else if replaceExisting {
            let reserved = Set(ReservedNames.all.map { Array($0.utf8) })
            for name in try FS.listDirectoryBytes(Array(path.utf8)) where !reserved.contains(name) {
                try FS.rename(bytes: target + name, old + name)
                TestPause.here("moved-aside", detail: PathRules.display(name))
            }
        } else {
            for name in incoming where FS.exists(bytes: target + name) {
                let shown = PathRules.display(name)
                throw ChainsnapError(.targetNotEmpty, "'\(shown)' appeared in '\(path)' during the restore", object: path + "/" + shown,
                                     hint: "make sure nothing else writes to the target, then run again")
            }
        }
        if state.movedAside != true {
            state.movedAside = true
            try writeState(state)
        }
        try? FS.removeTree(markerPath)
        for name in incoming {
            try FS.rename(bytes: staged + name, target + name)
        }
        FS.syncDirectory(path)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FS.writeAtomically(markerPath, bytes: Array(try enc.encode(marker)) + [10])
        try FS.removeTree(stagingRoot)
        FS.syncDirectory(path)
    }

    /// Removes the staging folder (used when a restore fails in a way a re-run cannot fix).
    public func discardStaging() {
        try? FS.removeTree(stagingRoot)
    }

    func readState() -> StagingState? {
        guard let b = try? FS.readFile(statePath) else { return nil }
        return try? JSONDecoder().decode(StagingState.self, from: Data(b))
    }

    func writeState(_ s: StagingState) throws {
        try FS.writeAtomically(statePath, bytes: Array(try JSONEncoder().encode(s)))
    }
}
