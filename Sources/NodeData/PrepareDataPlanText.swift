import RestoreCore

extension PrepareDataPlan {
    /// The lines the init container prints before acting: notes on the clear token, the decision
    /// with its reason, then notes on the restored snapshot. Operators read these in `kubectl logs`.
    public var lines: [String] {
        var out: [String] = []
        for case .clearAlreadyDone(let token) in notes {
            out.append("clearData: already done for token \(token) (\(layout.clearDataTokenFile)); not clearing again")
        }
        out.append(decisionLine)
        for case .snapshotDiffers(let requested, let restored) in notes {
            out.append("note: --snapshot \(requested) differs from the restored \(restored); to switch, set clearData (--clear-data) for one rollout")
        }
        return out
    }

    /// `decision: … — why`.
    public var decisionLine: String {
        let target = layout.target
        switch reason {
        case .clearRequested(let removing, let keeping):
            return "decision: clear and restore — clearData is set; removing "
                + (removing.isEmpty ? "nothing (no chain data present)" : removing.joined(separator: ", "))
                + "; keeping \(keeping.joined(separator: ", ")) and everything else"
        case .clearWithoutSource:
            return "decision: leave as is — clearData is set but there is no --from to restore from; clearing would leave an empty node"
        case .alreadyRestored(let m?):
            return "decision: nothing to do — \(target) was already restored (\(m.identity) from \(m.source) at \(m.restoredAt); marker \(markerPath))"
        case .alreadyRestored(nil):
            return "decision: nothing to do — \(target) was already restored (its marker \(markerPath) could not be read; the data is left as is)"
        case .emptyWithoutSource:
            return "decision: nothing to do — \(target) is empty and no --from was given; the node will sync from its peers"
        case .empty:
            return "decision: restore — \(target) is empty"
        case .interruptedRestore:
            return "decision: restore — \(target) holds only an interrupted restore's staging folder; restoring resumes it"
        case .recoveryRequested(let r, let removing, let keeping):
            return "decision: " + (r.mode == .restore ? "clear and restore" : "clear for the RLP import") + " — \(r.phrase); removing "
                + (removing.isEmpty ? "nothing (no chain data present)" : removing.joined(separator: ", "))
                + "; keeping \(keeping.joined(separator: ", ")) and everything else"
                + (r.mode == .rlp ? "; the supervisor's RLP import (rlpImport) rebuilds the chain when the node starts" : "")
        case .recoveryResumed(let r):
            return r.mode == .restore
                ? "decision: restore — \(r.phrase): an earlier start already removed the chain data; restoring without a second wipe"
                : "decision: leave as is — \(r.phrase): an earlier start already removed the chain data; the supervisor's RLP import rebuilds it"
        case .recoveryWithoutSource(let r):
            return "decision: refuse — \(r.phrase) asks for a restore but neither it nor --from names a source"
        case .unmarkedData(let n):
            return "decision: leave as is — \(target) holds \(n) entries without a restore marker (data the node wrote itself?); "
                + "not touching it. To replace it with the snapshot, set clearData (--clear-data) for one rollout."
        }
    }

    /// The restore target's marker file.
    public var markerPath: String { layout.target + "/" + ReservedNames.marker }
}
