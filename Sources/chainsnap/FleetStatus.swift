import ArgumentParser
import Fleet
import Foundation
import KubeClient
import SnapshotCore

/// `chainsnap fleet status`: one row per pod — phase, Ready, health, height, lag, sync, chains, marker, image.
struct FleetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every pod of one or more networks: phase, health, height, lag, sync state, restore marker.",
        discussion: """
            Example: chainsnap fleet status -n lux-mainnet -n lux-testnet --max-lag 10
            Lag is counted against the highest pod of the same StatefulSet. Exit 0 when every pod \
            is Ready, healthy, not syncing and within --max-lag; 1 otherwise.
            """
    )

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (repeatable; default: the context's).", valueName: "ns"))
    var namespace: [String] = []

    @Flag(help: "Every namespace the credentials can list StatefulSets in.")
    var allNamespaces = false

    @Option(help: ArgumentHelp("Only this StatefulSet (default: every StatefulSet in the namespace).", valueName: "name"))
    var statefulset: String?

    @Option(help: ArgumentHelp("Blocks a pod may be behind the highest pod of its network.", valueName: "n"))
    var maxLag: UInt64 = 10

    @Flag(help: "One JSON object per pod per line instead of a table.")
    var json = false

    @Flag(help: "Refresh every --interval seconds until interrupted.")
    var watch = false

    @Option(help: ArgumentHelp("Seconds between refreshes with --watch.", valueName: "seconds"))
    var interval: Double = 5

    @OptionGroup(title: "Cluster")
    var cluster: FleetClusterOptions

    func validate() throws {
        if allNamespaces && !namespace.isEmpty { throw ValidationError("give -n or --all-namespaces, not both") }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            let kube = try cluster.client(namespace: namespace.first)
            let probe = cluster.probe(kube)
            let roller = FleetRoller(probe: probe, log: fleetLog)
            while true {
                var sets: [StatefulSet] = []
                if allNamespaces {
                    sets = try await kube.listStatefulSets(namespace: nil)
                } else {
                    for ns in namespace.isEmpty ? [kube.defaultNamespace] : namespace {
                        if let statefulset {
                            sets.append(try await roller.statefulSet(namespace: ns, name: statefulset))
                        } else {
                            let found = try await kube.listStatefulSets(namespace: ns)
                            if found.isEmpty {
                                // The API lists nothing both for an empty and for a missing namespace: tell them apart.
                                if await kube.namespaceExists(ns) == false {
                                    throw ChainsnapError(.notFound, "namespace \(ns) does not exist", object: ns,
                                                         hint: "check -n/--namespace (a network's namespace is lux-NETWORK or lux-TENANT-NETWORK; `kubectl get namespaces`)")
                                }
                                throw ChainsnapError(.notFound, "namespace \(ns) has no StatefulSets (no network deployed there, or no right to list them)",
                                                     object: ns, hint: "check -n/--namespace; deploy the network with helm (charts/lux)")
                            }
                            sets += found
                        }
                    }
                }
                if allNamespaces, let statefulset { sets = sets.filter { $0.metadata.name == statefulset } }
                var samples: [PodSample] = []
                for s in sets { samples += try await probe.sample(s, withLogs: true) }
                let verdicts = FleetHealth.evaluate(samples, maxLag: maxLag)
                // Written unbuffered, so --watch shows each refresh at once through a pipe.
                var text = ""
                if json {
                    for v in verdicts { text += FleetStatusFormat.jsonLine(v) + "\n" }
                } else {
                    if watch { text += "— \(formatRFC3339(Date())) —\n" }
                    text += FleetStatusFormat.table(verdicts)
                }
                FileHandle.standardOutput.write(Data(text.utf8))
                let bad = verdicts.filter { !$0.ok }
                if !watch {
                    if verdicts.isEmpty {
                        throw ChainsnapError(.notFound, "no pods found", hint: "check -n/--namespace and --statefulset")
                    }
                    if !bad.isEmpty {
                        throw ChainsnapError(.rpc, "\(bad.count) of \(verdicts.count) pods are not ok: "
                            + bad.map { "\($0.sample.namespace)/\($0.sample.pod) \($0.problem ?? "")" }.joined(separator: "; "),
                            hint: "wait for them to catch up before restarting another pod; `kubectl -n NS logs POD --all-containers` shows why")
                    }
                    return
                }
                try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            }
        }
    }
}

/// The table and JSON lines of `fleet status`.
enum FleetStatusFormat {
    static func jsonLine(_ v: PodVerdict) -> String {
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

    static func table(_ verdicts: [PodVerdict]) -> String {
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
