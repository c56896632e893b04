import Foundation
import KubeClient
import SnapshotCore

/// `fleet status`: which StatefulSets (networks) to look at, one look at all their pods, and
/// the verdict the exit code follows. Lag is judged per network (`FleetHealth.evaluate`).
public struct FleetStatus: Sendable {
    /// `-n` namespaces (empty: the context's), or every namespace.
    public var namespaces: [String]
    public var allNamespaces: Bool
    /// Only this StatefulSet (nil: every StatefulSet in the namespaces).
    public var statefulSet: String?
    public var maxLag: UInt64

    public init(namespaces: [String], allNamespaces: Bool, statefulSet: String?, maxLag: UInt64) {
        self.namespaces = namespaces
        self.allNamespaces = allNamespaces
        self.statefulSet = statefulSet
        self.maxLag = maxLag
    }

    /// The StatefulSets to show. A namespace with none is an error that tells a missing
    /// namespace from an empty one (the API lists nothing for both).
    public func statefulSets(_ roller: FleetRoller) async throws -> [StatefulSet] {
        let kube = roller.probe.kube
        if allNamespaces {
            return try await kube.listStatefulSets(namespace: nil).filter { statefulSet == nil || $0.metadata.name == statefulSet }
        }
        var sets: [StatefulSet] = []
        for ns in namespaces.isEmpty ? [kube.defaultNamespace] : namespaces {
            if let statefulSet {
                sets.append(try await roller.statefulSet(namespace: ns, name: statefulSet))
                continue
            }
            let found = try await kube.listStatefulSets(namespace: ns)
            if found.isEmpty {
                if await kube.namespaceExists(ns) == false {
                    throw ChainsnapError(.notFound, "namespace \(ns) does not exist", object: ns,
                                         hint: "check -n/--namespace (a network's namespace is lux-NETWORK or lux-TENANT-NETWORK; `kubectl get namespaces`)")
                }
                throw ChainsnapError(.notFound, "namespace \(ns) has no StatefulSets (no network deployed there, or no right to list them)",
                                     object: ns, hint: "check -n/--namespace; deploy the network with helm (charts/lux)")
            }
            sets += found
        }
        return sets
    }

    /// One look at every pod of every selected network.
    public func verdicts(_ roller: FleetRoller) async throws -> [PodVerdict] {
        var samples: [PodSample] = []
        for s in try await statefulSets(roller) { samples += try await roller.probe.sample(s, withLogs: true) }
        return FleetHealth.evaluate(samples, maxLag: maxLag)
    }

    /// The error the command exits 1 with, or nil when every pod is ok.
    public static func failure(_ verdicts: [PodVerdict]) -> ChainsnapError? {
        if verdicts.isEmpty { return ChainsnapError(.notFound, "no pods found", hint: "check -n/--namespace and --statefulset") }
        let bad = verdicts.filter { !$0.ok }
        guard !bad.isEmpty else { return nil }
        return ChainsnapError(.rpc, "\(bad.count) of \(verdicts.count) pods are not ok: "
            + bad.map { "\($0.sample.namespace)/\($0.sample.pod) \($0.problem ?? "")" }.joined(separator: "; "),
            hint: "wait for them to catch up before restarting another pod; `kubectl -n NS logs POD --all-containers` shows why")
    }
}

/// The table and JSON lines of `fleet status`.
public enum FleetStatusFormat {
    /// One JSON object: namespace, statefulset, pod, phase, ready, healthy, height, lag, ok, and what else is known.
    public static func jsonLine(_ v: PodVerdict) -> String {
        let s = v.sample
        var o: [String: Any] = ["namespace": s.namespace, "statefulset": s.network, "pod": s.pod, "phase": s.phase,
                                "ready": s.ready, "healthy": s.healthy, "ok": v.ok]
        o["height"] = s.height.map { $0 as Any } ?? NSNull()
        o["lag"] = v.lag.map { $0 as Any } ?? NSNull()
        if let x = s.syncing { o["syncing"] = x }
        if let x = s.syncPhase { o["syncPhase"] = x }
        if !s.chains.isEmpty { o["chains"] = Dictionary(s.chains.map { ($0.alias, $0.height.map { $0 as Any } ?? NSNull()) }) { a, _ in a } }
        if let x = s.marker { o["marker"] = x }
        if let x = s.image { o["image"] = x }
        if let x = v.problem { o["problem"] = x }
        if let x = s.error { o["error"] = x }
        let d = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: d, as: UTF8.self)
    }

    /// Aligned columns, one row per pod, in the order given.
    public static func table(_ verdicts: [PodVerdict]) -> String {
        var rows = [["NAMESPACE", "POD", "PHASE", "READY", "HEALTHY", "HEIGHT", "LAG", "SYNC", "CHAINS", "MARKER", "IMAGE", "OK"]]
        for v in verdicts {
            let s = v.sample
            let sync = s.syncing.map { $0 ? "syncing" + (s.syncPhase.map { " \($0)" } ?? "") : "synced" } ?? "-"
            let chains = s.chains.isEmpty ? "-" : s.chains.map { "\($0.alias)=\($0.height.map(String.init) ?? "?")" }.joined(separator: ",")
            rows.append([s.namespace, s.pod, s.phase, s.ready ? "yes" : "no", s.healthy ? "yes" : "no",
                         s.height.map(String.init) ?? "-", v.lag.map(String.init) ?? "-", sync, chains, s.marker ?? "-",
                         s.image ?? "-", v.ok ? "ok" : "BAD: \(v.problem ?? "")"])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension FleetStatus {
    /// What one look prints: one JSON line per pod, or the table (under a time line when watching,
    /// so refreshes can be told apart).
    public static func text(_ verdicts: [PodVerdict], json: Bool, watch: Bool, now: Date = Date()) -> String {
        json ? verdicts.map { FleetStatusFormat.jsonLine($0) + "\n" }.joined()
            : (watch ? "— \(formatRFC3339(now)) —\n" : "") + FleetStatusFormat.table(verdicts)
    }

    /// `fleet status`: one look, handed to `write`, then the failure thrown when a pod is not ok;
    /// with `watch`, a look every `interval` seconds until the task is cancelled.
    public func run(_ roller: FleetRoller, json: Bool, watch: Bool, interval: Double, write: (String) -> Void) async throws {
        while true {
            let verdicts = try await verdicts(roller)
            write(Self.text(verdicts, json: json, watch: watch))
            if !watch {
                if let e = Self.failure(verdicts) { throw e }
                return
            }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
