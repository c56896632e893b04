import Foundation
import KubeClient
import SnapshotCore

/// Settings of a roll or a recovery.
public struct RollOptions: Sendable {
    public var maxLag: UInt64
    /// Seconds a replaced pod has to pass every gate.
    public var podTimeout: Double
    /// Seconds between polls.
    public var interval: Double
    public var fromPod: String?

    public init(maxLag: UInt64 = 10, podTimeout: Double = 1800, interval: Double = 2, fromPod: String? = nil) {
        self.maxLag = maxLag
        self.podTimeout = podTimeout
        self.interval = interval
        self.fromPod = fromPod
    }
}

/// How one pod's replacement went.
public struct PodRollResult: Sendable {
    public var pod: String
    public var seconds: Double
    /// Seconds spent waiting for each gate, in gate order.
    public var gates: [(Gate, Double)]
    /// Seconds spent checking the other pods before the deletion.
    public var precheckSeconds: Double
}

/// Rolls the pods of an OnDelete StatefulSet one at a time behind the gates, and replaces one
/// pod for `fleet recover`. Decisions come from `Quorum` and `ReplacementTracker`; this type
/// only polls, deletes and reports.
public struct FleetRoller: Sendable {
    public let probe: NodeProbe
    public let log: @Sendable (String) -> Void

    public init(probe: NodeProbe, log: @escaping @Sendable (String) -> Void) {
        self.probe = probe
        self.log = log
    }

    var kube: KubeClient { probe.kube }

    /// The StatefulSet, with a hint naming the namespace when it (or the namespace) is missing.
    public func statefulSet(namespace: String, name: String) async throws -> StatefulSet {
        do {
            return try await kube.statefulSet(namespace: namespace, name: name)
        } catch let e as ChainsnapError where e.code == .notFound {
            if await kube.namespaceExists(namespace) == false {
                throw ChainsnapError(.notFound, "namespace \(namespace) does not exist", object: namespace,
                                     hint: "check -n/--namespace (a network's namespace is lux-NETWORK or lux-TENANT-NETWORK; `kubectl get namespaces`)")
            }
            throw ChainsnapError(.notFound, "statefulset \(name) not found in namespace \(namespace)", object: "\(namespace)/\(name)",
                                 hint: "check -n/--namespace and --statefulset (`kubectl -n \(namespace) get statefulsets`)")
        }
    }

    /// Samples and judges every pod of the StatefulSet.
    public func verdicts(_ sts: StatefulSet, maxLag: UInt64, withLogs: Bool = false) async throws -> [PodVerdict] {
        FleetHealth.evaluate(try await probe.sample(sts, withLogs: withLogs), maxLag: maxLag)
    }

    /// The roll: for each pod in order, check the others, delete it, wait for its replacement
    /// to pass every gate. Throws at the first pod that fails, naming it and how to resume.
    public func roll(_ sts: StatefulSet, options: RollOptions) async throws -> [PodRollResult] {
        let ns = sts.metadata.namespace ?? kube.defaultNamespace
        let first = try await verdicts(sts, maxLag: options.maxLag)
        let order = try RollPlan.order(first.map(\.sample.pod), fromPod: options.fromPod)
        let replicas = sts.spec.replicas ?? first.count
        var results: [PodRollResult] = []
        for (i, pod) in order.enumerated() {
            let rest = Array(order[(i + 1)...])
            let pre = monotonicSeconds()
            var current = i == 0 ? first : try await verdicts(sts, maxLag: options.maxLag)
            var verdict = Quorum.canRoll(pod, verdicts: current, replicas: replicas)
            // Between pods the others get a pod-timeout to settle; the first pod must find them up.
            while case .refused = verdict, i > 0, monotonicSeconds() - pre < options.podTimeout {
                try await Task.sleep(nanoseconds: UInt64(options.interval * 1e9))
                current = try await verdicts(sts, maxLag: options.maxLag)
                verdict = Quorum.canRoll(pod, verdicts: current, replicas: replicas)
            }
            if case .refused(let why) = verdict {
                let untouched = ([pod] + rest).joined(separator: ", ")
                throw ChainsnapError(.invalidArgument, i == 0
                    ? "refusing to start the roll of \(ns)/\(sts.metadata.name): \(why)"
                    : "stopping before \(pod): \(why)", object: "\(ns)/\(pod)",
                    hint: "nothing was deleted\(i == 0 ? "" : " after \(order[i - 1])") (untouched: \(untouched)); fix the pods named above "
                        + "(`chainsnap fleet status -n \(ns)`), then run `chainsnap fleet roll -n \(ns) --statefulset \(sts.metadata.name) --from-pod \(pod)`")
            }
            guard let target = current.first(where: { $0.sample.pod == pod })?.sample else { continue }
            let precheck = monotonicSeconds() - pre
            log("\(pod): others are up (checked in \(fmt(precheck))); deleting (uid \(target.uid.prefix(8)))")
            let r = try await replace(ns: ns, sts: sts, pod: pod, uid: target.uid, options: options, logs: true) { _, _ in
                let resume = rest.first.map { "; once it is fixed, resume with `chainsnap fleet roll -n \(ns) --statefulset \(sts.metadata.name) --from-pod \($0)`" }
                    ?? "; it was the last pod of the roll"
                return "the pods after it were not touched (\(rest.isEmpty ? "none left" : rest.joined(separator: ", ")))\(resume)"
            }
            results.append(PodRollResult(pod: pod, seconds: r.seconds, gates: r.gates, precheckSeconds: precheck))
        }
        return results
    }

    /// Deletes one pod and waits for its replacement to pass every gate. `afterFailure` adds
    /// the resume advice to the error.
    public func replace(ns: String, sts: StatefulSet, pod: String, uid: String, options: RollOptions, logs: Bool,
                        afterFailure: (String, Gate) -> String) async throws -> (seconds: Double, gates: [(Gate, Double)]) {
        let start = monotonicSeconds()
        try await kube.deletePod(namespace: ns, name: pod, uid: uid)
        var tracker = ReplacementTracker(pod: pod, oldUID: uid, maxLag: options.maxLag, started: start)
        var lastGate: Gate? = nil
        var lastPhase = ""
        var lastProgress = start
        var lastNote = start
        var lastSaw = "nothing yet"
        while true {
            let all = try await probe.sample(sts, withLogs: false)
            var mine = all.first { $0.pod == pod }
            if logs, let m = mine, m.uid != uid, m.phase.hasPrefix("Init"),
               let p = try? await kube.pod(namespace: ns, name: pod) {
                mine = await probe.sample(p, namespace: ns, network: sts.metadata.name, withLogs: true)
            }
            let peersTop = FleetHealth.top(all.filter { $0.pod != pod })
            let passedBefore = Set(tracker.passedAt.keys)
            let state = tracker.observe(mine, peersTop: peersTop)
            let now = monotonicSeconds()
            // Phase changes as they happen; restore progress at most every 10 s.
            if let m = mine, m.uid != uid, m.phase != lastPhase,
               !(m.phase.hasPrefix("Init: restoring") && lastPhase.hasPrefix("Init: restoring") && now - lastProgress < 10) {
                lastPhase = m.phase
                lastProgress = now
                log("\(pod): \(m.phase) [\(fmt(now - start))]")
            }
            for g in Gate.allCases where tracker.passedAt[g] != nil && !passedBefore.contains(g) {
                log("\(pod): gate '\(g.rawValue)' passed [\(fmt(tracker.passedAt[g]! - start))]")
            }
            switch state {
            case .done:
                log("\(pod): back — every gate passed in \(fmt(now - start)) ("
                    + tracker.gateDurations.map { "\($0.0.rawValue) \(fmt($0.1))" }.joined(separator: ", ") + ")")
                return (now - start, tracker.gateDurations)
            case .waiting(let gate, let saw):
                lastSaw = saw
                if gate != lastGate || now - lastNote >= 15 {
                    log("\(pod): waiting for gate '\(gate.rawValue)' — \(saw) [\(fmt(now - start))]")
                    lastGate = gate
                    lastNote = now
                }
                if now - start >= options.podTimeout {
                    let event = try? await kube.events(namespace: ns, involving: pod).last { $0.type == "Warning" }
                    let ev = event.map { "; last warning event: \($0.reason ?? "") \($0.message ?? "")" } ?? ""
                    throw ChainsnapError(.invalidArgument,
                        "\(pod) did not pass the gate '\(gate.rawValue)' within \(Int(options.podTimeout)) s of its deletion: \(saw)\(ev)",
                        object: "\(ns)/\(pod)",
                        hint: afterFailure(lastSaw, gate) + "; look at it with `chainsnap fleet status -n \(ns)` and `kubectl -n \(ns) logs \(pod) --all-containers`")
                }
            }
            try await Task.sleep(nanoseconds: UInt64(options.interval * 1e9))
        }
    }
}

func fmt(_ s: Double) -> String { s < 60 ? String(format: "%.1f s", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }

extension FleetRoller {
    /// `fleet roll`: notes a StatefulSet whose controller may replace pods itself (not OnDelete);
    /// with `dryRun` hands the plan to `out` and throws its refusal, if any; else rolls and logs the summary.
    public func rollCommand(_ sts: StatefulSet, options: RollOptions, dryRun: Bool, out: (String) -> Void) async throws {
        let ns = sts.metadata.namespace ?? "", name = sts.metadata.name
        if let t = sts.spec.updateStrategy?.type, t != "OnDelete" {
            log("note: statefulset \(ns)/\(name) uses updateStrategy \(t), not OnDelete: its controller may replace pods on its own")
        }
        if dryRun {
            let (lines, refusal) = try FleetText.rollPlan(sts, verdicts: try await verdicts(sts, maxLag: options.maxLag), options: options)
            lines.forEach(out)
            if let refusal { throw refusal }
            return
        }
        let start = monotonicSeconds()
        let results = try await roll(sts, options: options)
        log(FleetText.rollSummary(results, namespace: ns, statefulSet: name, seconds: monotonicSeconds() - start))
    }
}
