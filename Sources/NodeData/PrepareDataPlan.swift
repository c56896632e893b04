import RestoreCore

/// What is in a node's data folder before it starts, as `PrepareDataExecutor.survey` reads it
/// (or a test writes it down).
public struct DataFolderState: Equatable, Sendable {
    /// The restore marker in the restore target.
    public enum Marker: Equatable, Sendable {
        case absent
        /// A marker file exists but is not a `RestoreMarker` (damaged, or written by hand).
        case unreadable
        case present(RestoreMarker)
    }

    public var marker: Marker
    /// Whether an interrupted restore's staging folder is in the target.
    public var stagingPresent: Bool
    /// Top-level names in the target other than chainsnap's own (`ReservedNames`), sorted.
    public var otherEntries: [String]
    /// The chain data paths that exist (a dangling symlink counts), in layout order.
    public var presentChainData: [String]
    /// The clear-data token recorded by the last clear, if any.
    public var clearDataTokenDone: String?

    public init(marker: Marker = .absent, stagingPresent: Bool = false, otherEntries: [String] = [],
                presentChainData: [String] = [], clearDataTokenDone: String? = nil) {
        self.marker = marker
        self.stagingPresent = stagingPresent
        self.otherEntries = otherEntries
        self.presentChainData = presentChainData
        self.clearDataTokenDone = clearDataTokenDone
    }
}

/// Everything the prepare-data decision depends on. A struct with defaults, so a new input
/// (such as a one-shot per-pod recovery request) is one more field, not a new signature.
public struct PrepareDataInputs: Equatable, Sendable {
    public var layout: DataLayout
    public var folder: DataFolderState
    /// Whether a source to restore from was given (`--from` or `--from-file`).
    public var sourceGiven: Bool
    /// The snapshot id asked for (nil or `latest`: the newest).
    public var snapshot: String?
    /// Remove the chain data paths, then restore.
    public var clearData: Bool
    /// With `clearData`: clear only once per token.
    public var clearDataToken: String?
    /// A one-shot recovery request for this pod: it comes before every other rule.
    public var recovery: RecoveryInput?

    public init(layout: DataLayout, folder: DataFolderState, sourceGiven: Bool, snapshot: String? = nil,
                clearData: Bool = false, clearDataToken: String? = nil, recovery: RecoveryInput? = nil) {
        self.layout = layout
        self.folder = folder
        self.sourceGiven = sourceGiven
        self.snapshot = snapshot
        self.clearData = clearData
        self.clearDataToken = clearDataToken
        self.recovery = recovery
    }
}

/// The init container's decision for a data folder — restore, leave it alone, or (only when told)
/// remove the chain data and restore — with its reasons. A pure value: `make` reads no files, so
/// every combination is tested as a table; `PrepareDataExecutor` acts on it.
///
/// The rules, in order (DESIGN.md "Restore safety"):
/// 0. A one-shot recovery request for this pod (`fleet recover`): clear the chain data paths that
///    exist (unless an earlier start did for the same request), then restore — or, for an RLP
///    re-import, leave them empty for the supervisor. A restore request with no source is refused.
/// 1. `clearData` with a source and a token not yet acted on: clear the chain data paths that
///    exist, restore, record the token. Without a source nothing is cleared (it would leave an
///    empty node).
/// 2. A restore marker: nothing to do (the data was restored; the node keeps it).
/// 3. An empty target (an interrupted restore's staging folder does not count): restore when a
///    source is given, else nothing to do (the node syncs from its peers).
/// 4. Anything else is data without a marker (the node wrote it): left as is.
public struct PrepareDataPlan: Equatable, Sendable {
    public enum Action: String, Equatable, Sendable {
        case leave, restore, clearThenRestore
        /// Remove the chain data and restore nothing (a recovery by RLP re-import).
        case clear
    }

    /// Why the action was chosen.
    public enum Reason: Equatable, Sendable {
        /// `clearData` is set: `removing` are the chain data paths present, `keeping` the protected ones.
        case clearRequested(removing: [String], keeping: [String])
        /// `clearData` is set but nothing would restore the data.
        case clearWithoutSource
        /// A marker says the target was restored; nil when the marker file is unreadable.
        case alreadyRestored(RestoreMarker?)
        /// The target is empty and no source was given.
        case emptyWithoutSource
        case empty
        /// Only an interrupted restore's staging folder is there; restoring resumes it.
        case interruptedRestore
        /// The target holds data without a marker.
        case unmarkedData(entries: Int)
        /// A recovery request for this pod: `removing` the chain data paths present, `keeping` the protected ones.
        case recoveryRequested(RecoveryInput, removing: [String], keeping: [String])
        /// A recovery request whose wipe an earlier start already did: restore (or leave to the import) without a second wipe.
        case recoveryResumed(RecoveryInput)
        /// A recovery request asks for a restore but neither it nor `--from` names a source: refused.
        case recoveryWithoutSource(RecoveryInput)
    }

    /// Things worth saying that do not change the action.
    public enum Note: Equatable, Sendable {
        /// The clear for this token was already done; not clearing again.
        case clearAlreadyDone(token: String)
        /// The requested snapshot is not the one restored; the data is kept anyway.
        case snapshotDiffers(requested: String, restored: String)
    }

    public let layout: DataLayout
    public let action: Action
    public let reason: Reason
    public let notes: [Note]
    /// Chain data subpaths to remove before restoring (`clearThenRestore` only).
    public let remove: [String]
    /// The token to record once the clear and restore succeeded.
    public let recordToken: String?
    /// The recovery request the executor records as wiped and done (nil without one).
    public let recovery: RecoveryInput?

    init(_ inputs: PrepareDataInputs, _ action: Action, _ reason: Reason, notes: [Note] = [],
         remove: [String] = [], recordToken: String? = nil) {
        self.layout = inputs.layout
        self.recovery = inputs.recovery
        self.action = action
        self.reason = reason
        self.notes = notes
        self.remove = remove
        self.recordToken = recordToken
    }

    /// Decides (see the rules above).
    public static func make(_ i: PrepareDataInputs) -> PrepareDataPlan {
        if let r = i.recovery {
            if r.mode == .restore && !i.sourceGiven { return PrepareDataPlan(i, .leave, .recoveryWithoutSource(r)) }
            guard r.wipe else { return PrepareDataPlan(i, r.mode == .restore ? .restore : .leave, .recoveryResumed(r)) }
            let present = i.layout.chainData.filter(i.folder.presentChainData.contains)
            return PrepareDataPlan(i, r.mode == .restore ? .clearThenRestore : .clear,
                                   .recoveryRequested(r, removing: present, keeping: i.layout.protected), remove: present)
        }
        var notes: [Note] = []
        if i.clearData {
            if let t = i.clearDataToken, i.folder.clearDataTokenDone == t {
                notes.append(.clearAlreadyDone(token: t))
            } else if !i.sourceGiven {
                return PrepareDataPlan(i, .leave, .clearWithoutSource)
            } else {
                let present = i.layout.chainData.filter(i.folder.presentChainData.contains)
                return PrepareDataPlan(i, .clearThenRestore, .clearRequested(removing: present, keeping: i.layout.protected),
                                       remove: present, recordToken: i.clearDataToken)
            }
        }
        switch i.folder.marker {
        case .present(let m):
            if let s = i.snapshot, s != "latest", s != m.identity {
                notes.append(.snapshotDiffers(requested: s, restored: m.identity))
            }
            return PrepareDataPlan(i, .leave, .alreadyRestored(m), notes: notes)
        case .unreadable:
            return PrepareDataPlan(i, .leave, .alreadyRestored(nil), notes: notes)
        case .absent:
            break
        }
        if i.folder.otherEntries.isEmpty {
            guard i.sourceGiven else { return PrepareDataPlan(i, .leave, .emptyWithoutSource, notes: notes) }
            return PrepareDataPlan(i, .restore, i.folder.stagingPresent ? .interruptedRestore : .empty, notes: notes)
        }
        return PrepareDataPlan(i, .leave, .unmarkedData(entries: i.folder.otherEntries.count), notes: notes)
    }
}
