import Fleet
import Foundation
import SnapshotCore
import Testing

/// The fleet decisions as plain values: lag, gates, quorum, roll order, init progress, recovery requests.
@Suite("fleet decisions (no network)")
struct FleetDecisionTests {
    static func pod(_ n: Int, height: UInt64?, ready: Bool = true, healthy: Bool = true, uid: String = "u", phase: String = "Running",
                    ns: String = "lux-mainnet", at: Double = 0) -> PodSample {
        PodSample(namespace: ns, network: "luxd", pod: "luxd-\(n)", uid: uid, phase: phase, ready: ready, healthy: healthy,
                  height: height, syncing: height == nil ? nil : false, at: at)
    }

    @Test("lag is counted against the highest pod of the same network only")
    func lagPerNetwork() {
        let v = FleetHealth.evaluate([Self.pod(0, height: 100), Self.pod(1, height: 95), Self.pod(2, height: 80),
                                      Self.pod(0, height: 5, ns: "lux-testnet")], maxLag: 10)
        #expect(v.map(\.lag) == [0, 5, 20, 0])
        #expect(v.map(\.ok) == [true, true, false, true])
        #expect(v[2].problem == "lag 20 > 10")
    }

    @Test("network wait (deploy/scale): missing replicas, each failing pod with its gate; a new pod must be seen advancing")
    func networkWait() {
        var w = NetworkWait(replicas: 3)
        func look(_ pods: [PodSample]) -> String? { w.observe(FleetHealth.evaluate(pods, maxLag: 10)) }
        let up = [Self.pod(0, height: 100, uid: "a"), Self.pod(1, height: 100, uid: "b")]
        #expect(look(up) == "2 of 3 pods exist")
        #expect(look(up + [Self.pod(2, height: nil, ready: false, uid: "c", phase: "Init: restoring 43%, ETA 12m")])
                == "luxd-2: gate 'Ready': not ready (Init: restoring 43%, ETA 12m)")
        // Up, but not yet seen advancing; then unchanged; then higher: done. The pods up at the first look need not advance.
        #expect(look(up + [Self.pod(2, height: 98, uid: "c")]) == "luxd-2: gate 'advancing': at height 98, not yet seen advancing")
        #expect(look(up + [Self.pod(2, height: 98, uid: "c")]) == "luxd-2: gate 'advancing': height 98 unchanged since it came up")
        #expect(look(up + [Self.pod(2, height: 99, uid: "c")]) == nil)
        // A lagging pod names the lag gate.
        #expect(look(up + [Self.pod(2, height: 50, uid: "c")]) == "luxd-2: gate 'within max-lag': lag 50 > 10")
        // A new pod stuck while its peers advance never passes; on an idle chain (nobody advances) a pod at the head does.
        var stuck = NetworkWait(replicas: 2)
        let first = [Self.pod(0, height: 100, uid: "a")]
        #expect(stuck.observe(FleetHealth.evaluate(first, maxLag: 10)) == "1 of 2 pods exist")
        #expect(stuck.observe(FleetHealth.evaluate(first + [Self.pod(1, height: 99, uid: "n")], maxLag: 10))?.contains("not yet seen advancing") == true)
        #expect(stuck.observe(FleetHealth.evaluate([Self.pod(0, height: 104, uid: "a"), Self.pod(1, height: 99, uid: "n")], maxLag: 10))
                == "luxd-1: gate 'advancing': height 99 unchanged since it came up")
        var idle = NetworkWait(replicas: 2, idleSeconds: 10)
        _ = idle.observe(FleetHealth.evaluate(first, maxLag: 10))
        func both(at t: Double) -> [PodVerdict] {
            FleetHealth.evaluate([Self.pod(0, height: 100, uid: "a", at: t), Self.pod(1, height: 100, uid: "n", at: t)], maxLag: 10)
        }
        #expect(idle.observe(both(at: 0))?.contains("not yet seen advancing") == true)
        #expect(idle.observe(both(at: 4)) == "luxd-1: gate 'advancing': height 100 unchanged since it came up", "not idle for long enough yet")
        #expect(idle.observe(both(at: 11)) == nil, "the whole network stood still for 10 s: an idle chain, the pod is at its head")
    }

    @Test("not Ready, unhealthy, unknown height and syncing are each not ok, with the reason")
    func problems() {
        var syncing = Self.pod(3, height: 100)
        syncing.syncing = true
        syncing.syncPhase = "100/200"
        let v = FleetHealth.evaluate([Self.pod(0, height: 100, ready: false, phase: "Init: restoring 43%, ETA 12m"),
                                      Self.pod(1, height: 100, healthy: false), Self.pod(2, height: nil), syncing], maxLag: 10)
        #expect(v.map(\.problem) == ["not ready (Init: restoring 43%, ETA 12m)", "unhealthy", "height unknown", "syncing 100/200"])
    }

    @Test("quorum: n − ⌊(n−1)/3⌋")
    func quorumSizes() {
        #expect([1, 2, 3, 4, 5, 7, 10].map(Quorum.needed(of:)) == [1, 2, 3, 3, 4, 5, 7])
    }

    @Test("roll: every other pod must be up; the pod being rolled may be down; missing replicas refuse")
    func rollRule() {
        let ok = FleetHealth.evaluate((0..<5).map { Self.pod($0, height: 100) }, maxLag: 10)
        #expect(Quorum.canRoll("luxd-0", verdicts: ok, replicas: 5) == .allowed)
        #expect(Quorum.canRoll("luxd-0", verdicts: ok, replicas: 6) == .refused("only 5 of 6 pods exist"))
        let oneBehind = FleetHealth.evaluate((0..<5).map { Self.pod($0, height: $0 == 3 ? 50 : 100) }, maxLag: 10)
        #expect(Quorum.canRoll("luxd-0", verdicts: oneBehind, replicas: 5) == .refused("luxd-3: lag 50 > 10"))
        #expect(Quorum.canRoll("luxd-3", verdicts: oneBehind, replicas: 5) == .allowed)
    }

    @Test("recover: refused when fewer than quorum others are up")
    func recoverRule() {
        let oneDown = FleetHealth.evaluate((0..<5).map { Self.pod($0, height: 100, healthy: $0 != 1) }, maxLag: 10)
        #expect(Quorum.canRecover("luxd-1", verdicts: oneDown, replicas: 5) == .allowed)
        guard case .refused(let why) = Quorum.canRecover("luxd-2", verdicts: oneDown, replicas: 5) else {
            Issue.record("two down out of five must be refused"); return
        }
        #expect(why.contains("only 3 other pods are up and the network needs 4 of 5") && why.contains("luxd-1: unhealthy"))
    }

    @Test("roll order by ordinal (luxd-10 after luxd-9); --from-pod resumes; an unknown --from-pod is refused")
    func rollOrder() throws {
        let pods = ["luxd-10", "luxd-2", "luxd-0", "luxd-9", "luxd-1"]
        #expect(try RollPlan.order(pods, fromPod: nil) == ["luxd-0", "luxd-1", "luxd-2", "luxd-9", "luxd-10"])
        #expect(try RollPlan.order(pods, fromPod: "luxd-9") == ["luxd-9", "luxd-10"])
        #expect(throws: ChainsnapError.self) { try RollPlan.order(pods, fromPod: "luxd-7") }
    }

    @Test("replacement gates in order: new UID, Ready, healthy, within max-lag, advancing")
    func gates() {
        var t = ReplacementTracker(pod: "luxd-1", oldUID: "old", maxLag: 10, started: 0)
        #expect(t.observe(Self.pod(1, height: 100, uid: "old", phase: "Terminating", at: 1), peersTop: 100) == .waiting(.replaced, saw: "old pod (uid old) still Terminating"))
        #expect(t.observe(nil, peersTop: 100) == .waiting(.replaced, saw: "no pod yet"))
        #expect(t.observe(Self.pod(1, height: nil, ready: false, uid: "new", phase: "Init: restoring 10%, ETA 3m", at: 2), peersTop: 101)
                == .waiting(.ready, saw: "Init: restoring 10%, ETA 3m, not Ready"))
        #expect(t.observe(Self.pod(1, height: 0, healthy: false, uid: "new", at: 3), peersTop: 102)
                == .waiting(.healthy, saw: "/ext/health not healthy"))
        #expect(t.observe(Self.pod(1, height: 80, uid: "new", at: 4), peersTop: 103) == .waiting(.caughtUp, saw: "height 80, 23 behind peers at 103"))
        #expect(t.observe(Self.pod(1, height: 100, uid: "new", at: 5), peersTop: 104) == .waiting(.advancing, saw: "height 100; checking it advances"))
        #expect(t.observe(Self.pod(1, height: 100, uid: "new", at: 7), peersTop: 105)
                == .waiting(.advancing, saw: "height 100 unchanged for 2 s while peers are at 105"))
        #expect(t.observe(Self.pod(1, height: 101, uid: "new", at: 8), peersTop: 106) == .done)
        #expect(t.gateDurations.map(\.0) == Gate.allCases)
        #expect(t.gateDurations.map(\.1) == [2, 1, 1, 1, 3])
    }

    @Test("an idle chain (no new blocks anywhere): a pod at the head of its standing peers passes 'advancing'")
    func idleChain() {
        var t = ReplacementTracker(pod: "luxd-1", oldUID: "old", maxLag: 10, started: 0)
        #expect(t.observe(Self.pod(1, height: 700, uid: "new", at: 1), peersTop: 700) == .waiting(.advancing, saw: "height 700; checking it advances"))
        #expect(t.observe(Self.pod(1, height: 700, uid: "new", at: 3), peersTop: 700) == .done)
        // Behind standing peers (still syncing the last blocks): not done until it reaches them.
        var u = ReplacementTracker(pod: "luxd-1", oldUID: "old", maxLag: 10, started: 0)
        _ = u.observe(Self.pod(1, height: 695, uid: "new", at: 1), peersTop: 700)
        #expect(u.observe(Self.pod(1, height: 695, uid: "new", at: 3), peersTop: 700) != .done)
    }

    @Test("a pod that comes back stuck never passes 'advancing' (or falls out of max-lag)")
    func stuck() {
        var t = ReplacementTracker(pod: "luxd-2", oldUID: "old", maxLag: 10, started: 0)
        for i in 1...20 {
            let s = t.observe(Self.pod(2, height: 500, uid: "new", at: Double(i)), peersTop: 500 + UInt64(i))
            #expect(s != .done)
            if i > 10 { #expect(s == .waiting(.caughtUp, saw: "height 500, \(i) behind peers at \(500 + i)")) }
        }
    }

    @Test("init progress: the newest restore line becomes 'restoring 43%, ETA 12m'; markers from prepare-data's lines")
    func initProgress() {
        let lines = ["prepare-data: decision: restore — /data/db is empty",
                     "restore 20261201T0330Z-ab12: 0.4 GiB / 3.0 GiB (13%), 80.0 MiB/s, ETA 40m",
                     "restore 20261201T0330Z-ab12: 1.3 GiB / 3.0 GiB (43%), 81.2 MiB/s, ETA 12m"]
        #expect(InitProgress.phase(fromLog: lines) == "restoring 43%, ETA 12m")
        #expect(InitProgress.phase(fromLog: ["restore archive: 3.0 GiB / 3.0 GiB (100%), 1 GiB/s, took 3s"]) == "restored, finishing")
        #expect(InitProgress.phase(fromLog: ["prepare-data: decision: nothing to do"]) == nil)
        #expect(InitProgress.phase(fromLog: ["restore x: (abc%) ETA 1m"]) == nil)
        #expect(InitProgress.marker(fromLog: ["prepare-data: decision: nothing to do — /data/db was already restored (snap-1 from s3://b/p at 2026-11-30T03:30:00Z; marker /data/db/.chainsnap-restore.json)"])
                == "snap-1 at 2026-11-30T03:30:00Z")
        #expect(InitProgress.marker(fromLog: ["restored snapshot snap-2 into /data/db: 12 files, 3.0 GiB"]) == "snap-2 (restored this start)")
    }

    @Test("recovery requests: only the pod's own key, once; a wiped-but-unfinished request resumes without a second wipe")
    func recoveryDecisions() throws {
        let r = RecoveryRequest(id: "0b5e-1", mode: .restore, snapshot: "snap-9", requestedAt: "2026-12-01T10:00:00Z")
        let entries = ["luxd-2": r.json, "luxd-3": RecoveryRequest(id: "x", mode: .rlp, requestedAt: "t").json]
        #expect(try Recovery.decide(entries: entries, pod: "luxd-2", record: nil) == .honour(r, wipe: true))
        #expect(try Recovery.decide(entries: entries, pod: "luxd-1", record: nil) == .none)
        #expect(try Recovery.decide(entries: entries, pod: "luxd-2", record: RecoveryRecord(id: "0b5e-1", state: .wiped, at: "t")) == .honour(r, wipe: false))
        #expect(try Recovery.decide(entries: entries, pod: "luxd-2", record: RecoveryRecord(id: "0b5e-1", state: .done, at: "t")) == .alreadyHonoured(r))
        // A new request (new id) after an old one was honoured is honoured again.
        #expect(try Recovery.decide(entries: entries, pod: "luxd-2", record: RecoveryRecord(id: "older", state: .done, at: "t")) == .honour(r, wipe: true))
        #expect(throws: ChainsnapError.self) { try Recovery.decide(entries: ["luxd-2": "{not json"], pod: "luxd-2", record: nil) }
        #expect(throws: ChainsnapError.self) {
            try Recovery.decide(entries: ["luxd-2": #"{"id":"../x","mode":"restore","requestedAt":"t"}"#], pod: "luxd-2", record: nil)
        }
        #expect(throws: ChainsnapError.self) {
            try Recovery.decide(entries: ["luxd-2": #"{"id":"a","mode":"restore","from":"/etc/passwd","requestedAt":"t"}"#], pod: "luxd-2", record: nil)
        }
        #expect(throws: ChainsnapError.self) {
            try Recovery.decide(entries: ["luxd-2": String(repeating: " ", count: 70_000) + r.json], pod: "luxd-2", record: nil)
        }
    }
}
