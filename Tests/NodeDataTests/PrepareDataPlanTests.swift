import NodeData
import SnapshotCore
import RestoreCore
import Testing

/// The prepare-data decision as a table: every input that matters, its action and its reason.
@Suite("PrepareDataPlan")
struct PrepareDataPlanTests {
    static let layout = try! DataLayout(dataDir: "/data", chainData: ["db", "chainData"], restorePath: "db")
    static let marker = RestoreMarker(kind: "snapshot", identity: "20260101T000000Z-abc", source: "s3://snaps/lux", bytes: 10)

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var folder: DataFolderState
        var source = true
        var snapshot: String?
        var clear = false
        var token: String?
        var recovery: RecoveryInput?
        var action: PrepareDataPlan.Action
        var reason: PrepareDataPlan.Reason
        var notes: [PrepareDataPlan.Note] = []
        var testDescription: String { name }
    }

    static let data = DataFolderState(otherEntries: ["000001.ldb", "CURRENT"], presentChainData: ["db"])
    static let restored = DataFolderState(marker: .present(marker), otherEntries: ["CURRENT"], presentChainData: ["db", "chainData"])

    static let rows: [Row] = [
        Row(name: "empty, source → restore", folder: .init(), action: .restore, reason: .empty),
        Row(name: "empty, no source → nothing to do", folder: .init(), source: false, action: .leave, reason: .emptyWithoutSource),
        Row(name: "staging only → restore resumes", folder: .init(stagingPresent: true), action: .restore, reason: .interruptedRestore),
        Row(name: "staging only, no source → nothing to do", folder: .init(stagingPresent: true), source: false,
            action: .leave, reason: .emptyWithoutSource),
        Row(name: "unmarked data → leave", folder: data, action: .leave, reason: .unmarkedData(entries: 2)),
        Row(name: "unmarked data beside staging → leave", folder: .init(stagingPresent: true, otherEntries: ["x"]),
            action: .leave, reason: .unmarkedData(entries: 1)),
        Row(name: "marker → nothing to do", folder: restored, action: .leave, reason: .alreadyRestored(marker)),
        Row(name: "marker, empty target → nothing to do", folder: .init(marker: .present(marker)), action: .leave, reason: .alreadyRestored(marker)),
        Row(name: "marker, same snapshot asked → no note", folder: restored, snapshot: marker.identity, action: .leave, reason: .alreadyRestored(marker)),
        Row(name: "marker, latest asked → no note", folder: restored, snapshot: "latest", action: .leave, reason: .alreadyRestored(marker)),
        Row(name: "marker, other snapshot asked → note, data kept", folder: restored, snapshot: "other", action: .leave,
            reason: .alreadyRestored(marker), notes: [.snapshotDiffers(requested: "other", restored: marker.identity)]),
        Row(name: "unreadable marker → nothing to do", folder: .init(marker: .unreadable, otherEntries: ["x"]), action: .leave,
            reason: .alreadyRestored(nil)),
        Row(name: "clearData, data → clear present chain data, restore", folder: data, clear: true, action: .clearThenRestore,
            reason: .clearRequested(removing: ["db"], keeping: ["staking"])),
        Row(name: "clearData, marker → clear anyway", folder: restored, clear: true, action: .clearThenRestore,
            reason: .clearRequested(removing: ["db", "chainData"], keeping: ["staking"])),
        Row(name: "clearData, nothing present → restore after clearing nothing", folder: .init(), clear: true,
            action: .clearThenRestore, reason: .clearRequested(removing: [], keeping: ["staking"])),
        Row(name: "clearData, new token → clear", folder: .init(otherEntries: ["x"], presentChainData: ["db"], clearDataTokenDone: "rev-7"),
            clear: true, token: "rev-8", action: .clearThenRestore, reason: .clearRequested(removing: ["db"], keeping: ["staking"])),
        Row(name: "clearData, token done, data → leave, says so", folder: .init(otherEntries: ["x"], presentChainData: ["db"], clearDataTokenDone: "rev-7"),
            clear: true, token: "rev-7", action: .leave, reason: .unmarkedData(entries: 1), notes: [.clearAlreadyDone(token: "rev-7")]),
        Row(name: "clearData, token done, marker → nothing to do", folder: .init(marker: .present(marker), otherEntries: ["x"], clearDataTokenDone: "rev-7"),
            clear: true, token: "rev-7", action: .leave, reason: .alreadyRestored(marker), notes: [.clearAlreadyDone(token: "rev-7")]),
        Row(name: "clearData, token done, empty → restore", folder: .init(clearDataTokenDone: "rev-7"), clear: true, token: "rev-7",
            action: .restore, reason: .empty, notes: [.clearAlreadyDone(token: "rev-7")]),
        Row(name: "clearData without source → nothing cleared", folder: data, source: false, clear: true, action: .leave, reason: .clearWithoutSource),
        Row(name: "token without clearData → ignored", folder: data, token: "rev-7", action: .leave, reason: .unmarkedData(entries: 2)),
        Row(name: "recovery (restore) → clear present chain data, restore", folder: data, recovery: restoreReq, action: .clearThenRestore,
            reason: .recoveryRequested(restoreReq, removing: ["db"], keeping: ["staking"])),
        Row(name: "recovery beats a marker", folder: restored, recovery: restoreReq, action: .clearThenRestore,
            reason: .recoveryRequested(restoreReq, removing: ["db", "chainData"], keeping: ["staking"])),
        Row(name: "recovery beats a done clear token", folder: .init(otherEntries: ["x"], presentChainData: ["db"], clearDataTokenDone: "rev-7"),
            clear: true, token: "rev-7", recovery: restoreReq, action: .clearThenRestore,
            reason: .recoveryRequested(restoreReq, removing: ["db"], keeping: ["staking"])),
        Row(name: "recovery (rlp) → clear, restore nothing", folder: restored, source: false, recovery: rlpReq, action: .clear,
            reason: .recoveryRequested(rlpReq, removing: ["db", "chainData"], keeping: ["staking"])),
        Row(name: "recovery already wiped (restore) → restore, no second wipe", folder: .init(stagingPresent: true), recovery: resumed,
            action: .restore, reason: .recoveryResumed(resumed)),
        Row(name: "recovery already wiped (rlp) → leave to the import", folder: .init(otherEntries: ["x"], presentChainData: ["db"]),
            recovery: rlpResumed, action: .leave, reason: .recoveryResumed(rlpResumed)),
        Row(name: "recovery (restore) without any source → refused, nothing removed", folder: data, source: false, recovery: restoreReq,
            action: .leave, reason: .recoveryWithoutSource(restoreReq)),
    ]

    static let restoreReq = RecoveryInput(id: "req-1", pod: "luxd-2", mode: .restore)
    static let rlpReq = RecoveryInput(id: "req-2", pod: "luxd-2", mode: .rlp)
    static let resumed = RecoveryInput(id: "req-1", pod: "luxd-2", mode: .restore, wipe: false)
    static let rlpResumed = RecoveryInput(id: "req-2", pod: "luxd-2", mode: .rlp, wipe: false)

    @Test("decision table", arguments: rows)
    func table(_ r: Row) {
        let p = PrepareDataPlan.make(PrepareDataInputs(layout: Self.layout, folder: r.folder, sourceGiven: r.source, snapshot: r.snapshot,
                                                       clearData: r.clear, clearDataToken: r.token, recovery: r.recovery))
        #expect(p.action == r.action)
        #expect(p.reason == r.reason)
        #expect(p.notes == r.notes)
        #expect(p.recovery == r.recovery)
        if case .clearRequested(let removing, _) = r.reason {
            #expect(p.remove == removing)
            #expect(p.recordToken == r.token)
        } else if case .recoveryRequested(_, let removing, _) = r.reason {
            #expect(p.remove == removing && p.recordToken == nil)
        } else {
            #expect(p.remove.isEmpty && p.recordToken == nil)
        }
    }

    /// The safety rules over every combination of the inputs, not only the rows above.
    @Test("invariants over every combination")
    func invariants() {
        let markers: [DataFolderState.Marker] = [.absent, .unreadable, .present(Self.marker)]
        var count = 0
        for m in markers { for staging in [false, true] { for others in [[], ["x"]] { for present in [[], ["db"], ["chainData", "db"]] {
            for done in [nil, "t1"] as [String?] { for source in [false, true] { for clear in [false, true] {
                for token in [nil, "t1", "t2"] as [String?] { for recovery in Self.recoveries {
                    let folder = DataFolderState(marker: m, stagingPresent: staging, otherEntries: others, presentChainData: present, clearDataTokenDone: done)
                    let p = PrepareDataPlan.make(PrepareDataInputs(layout: Self.layout, folder: folder, sourceGiven: source,
                                                                   clearData: clear, clearDataToken: token, recovery: recovery))
                    count += 1
                    let tokenDone = token != nil && token == done
                    let clears = p.action == .clearThenRestore || p.action == .clear
                    // Data is only removed when told: a recovery request for this pod not yet wiped (a restore
                    // one only with a source), or clearData with a source and not already done for this token.
                    if let recovery {
                        #expect(clears == (recovery.wipe && (recovery.mode == .rlp || source)))
                        // An RLP recovery never restores; a restore one restores only from a source.
                        if recovery.mode == .rlp { #expect(p.action != .restore && p.action != .clearThenRestore) }
                    } else {
                        #expect(clears == (clear && source && !tokenDone) && p.action != .clear)
                    }
                    // Only chain data paths that exist are removed, in layout order; never a protected path (staking keys).
                    #expect(p.remove == (clears ? Self.layout.chainData.filter(present.contains) : []))
                    #expect(p.remove.allSatisfy { r in !Self.layout.protected.contains { r == $0 || r.hasPrefix($0 + "/") || $0.hasPrefix(r + "/") } })
                    // Without clearing, a restore only goes into a target with no data and no marker, or resumes a recovery.
                    if p.action == .restore && recovery == nil { #expect(source && others.isEmpty && m == .absent) }
                    if p.action == .restore { #expect(source) }
                    // A marker always means leave (unless clearing or resuming a recovery).
                    if m != .absent && !clears && recovery == nil { #expect(p.action == .leave) }
                    // The plan carries the request to record, and every plan says what it decided.
                    #expect(p.recovery == recovery)
                    #expect(p.decisionLine.hasPrefix("decision: "))
                } }
            } } }
        } } } }
        #expect(count == 3 * 2 * 2 * 3 * 2 * 2 * 2 * 3 * Self.recoveries.count)
    }

    static let recoveries: [RecoveryInput?] = [nil, restoreReq, rlpReq, resumed, rlpResumed]

    @Test("log lines say what was found and why")
    func lines() {
        func plan(_ f: DataFolderState, source: Bool = true, snapshot: String? = nil, clear: Bool = false, token: String? = nil) -> [String] {
            PrepareDataPlan.make(PrepareDataInputs(layout: Self.layout, folder: f, sourceGiven: source, snapshot: snapshot,
                                                   clearData: clear, clearDataToken: token)).lines
        }
        #expect(plan(.init()) == ["decision: restore — /data/db is empty"])
        #expect(plan(.init(), source: false) == ["decision: nothing to do — /data/db is empty and no --from was given; the node will sync from its peers"])
        #expect(plan(.init(stagingPresent: true)) == ["decision: restore — /data/db holds only an interrupted restore's staging folder; restoring resumes it"])
        #expect(plan(Self.data)[0].hasPrefix("decision: leave as is — /data/db holds 2 entries without a restore marker"))
        let m = Self.marker
        #expect(plan(Self.restored, snapshot: "other") == [
            "decision: nothing to do — /data/db was already restored (\(m.identity) from s3://snaps/lux at \(m.restoredAt); marker /data/db/.chainsnap-restore.json)",
            "note: --snapshot other differs from the restored \(m.identity); to switch, set clearData (--clear-data) for one rollout",
        ])
        #expect(plan(.init(marker: .unreadable))[0].contains("already restored (its marker /data/db/.chainsnap-restore.json could not be read"))
        #expect(plan(Self.data, clear: true) == [
            "decision: clear and restore — clearData is set; removing db; keeping staking and everything else",
        ])
        #expect(plan(.init(), clear: true)[0].contains("removing nothing (no chain data present)"))
        func recover(_ f: DataFolderState, _ r: RecoveryInput, source: Bool = true) -> String {
            PrepareDataPlan.make(PrepareDataInputs(layout: Self.layout, folder: f, sourceGiven: source, recovery: r)).decisionLine
        }
        #expect(recover(Self.data, Self.restoreReq)
                == "decision: clear and restore — one-shot recovery request req-1 for pod luxd-2; removing db; keeping staking and everything else")
        #expect(recover(Self.restored, Self.rlpReq, source: false).hasPrefix(
            "decision: clear for the RLP import — one-shot recovery request req-2 for pod luxd-2; removing db, chainData; keeping staking"))
        #expect(recover(.init(), Self.resumed).contains("an earlier start already removed the chain data; restoring without a second wipe"))
        #expect(recover(Self.data, Self.restoreReq, source: false).hasPrefix("decision: refuse — one-shot recovery request req-1 for pod luxd-2 asks for a restore"))
        #expect(plan(.init(clearDataTokenDone: "r1"), clear: true, token: "r1") == [
            "clearData: already done for token r1 (/data/.chainsnap-clear-data-token); not clearing again",
            "decision: restore — /data/db is empty",
        ])
    }
}

@Suite("DataLayout")
struct DataLayoutTests {
    @Test("paths must stay inside the data folder and away from protected paths")
    func rules() throws {
        let ok = try DataLayout(dataDir: "/data", chainData: ["db", "chainData/C"])
        #expect(ok.restorePath == "db" && ok.target == "/data/db" && ok.protected == ["staking"])
        #expect(ok.clearDataTokenFile == "/data/.chainsnap-clear-data-token")
        let bad: [([String], String?, [String], String)] = [
            ([], nil, ["staking"], "at least one --chain-data"),
            (["../db"], nil, ["staking"], "relative path inside --data-dir"),
            (["/db"], nil, ["staking"], "relative path inside --data-dir"),
            (["."], nil, ["staking"], "relative path inside --data-dir"),
            (["db/../staking"], nil, ["staking"], "relative path inside --data-dir"),
            (["staking"], nil, ["staking"], "overlaps protected path"),
            (["staking/keys"], nil, ["staking"], "overlaps protected path"),
            (["db"], nil, ["db/keys"], "overlaps protected path"),
            ([""], nil, ["staking"], "relative path"),
            (["db"], "other", ["staking"], "--restore-path 'other' must be one of"),
            (["db"], "../x", ["staking"], "relative path inside --data-dir"),
        ]
        for (chain, restore, protect, fragment) in bad {
            let e = #expect(throws: ChainsnapError.self) {
                try DataLayout(dataDir: "/data", chainData: chain, restorePath: restore, protected: protect)
            }
            #expect(e?.message.contains(fragment) == true, "\(chain) \(restore ?? "-") \(protect): \(e?.message ?? "no error")")
        }
    }
}
