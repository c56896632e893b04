import ArgumentParser
import Fleet
import Foundation
import KubeClient
import SnapshotCore

/// `chainsnap fleet roll`: the zero-downtime rolling restart of an OnDelete StatefulSet.
struct FleetRollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roll",
        abstract: "Restart a network's pods one at a time, each behind health and height gates.",
        discussion: """
            Before deleting a pod every other pod must be Ready, healthy and within --max-lag of \
            the highest (a network never loses two validators at once). After the deletion the \
            replacement (a new UID) must be Ready, /ext/health healthy, within --max-lag of its \
            peers and still advancing before the next pod goes. The roll stops at the first pod \
            that fails a gate (exit 1) and says how to resume with --from-pod.
            Example: chainsnap fleet roll -n lux-mainnet --max-lag 10 --pod-timeout 3600
            """
    )

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (default: the context's).", valueName: "ns"))
    var namespace: String?

    @Option(help: ArgumentHelp("The network's StatefulSet.", valueName: "name"))
    var statefulset = "luxd"

    @Option(help: ArgumentHelp("Start at this pod (resume a stopped roll); earlier pods are left alone.", valueName: "pod"))
    var fromPod: String?

    @Flag(help: "Print the plan and whether the roll could start, and change nothing.")
    var dryRun = false

    @OptionGroup(title: "Gates")
    var gates: FleetGateOptions

    @OptionGroup(title: "Cluster")
    var cluster: FleetClusterOptions

    func run() async throws {
        try await reportingErrors {
            let kube = try cluster.client(namespace: namespace)
            let ns = namespace ?? kube.defaultNamespace
            let roller = FleetRoller(probe: cluster.probe(kube), log: fleetLog)
            let sts = try await roller.statefulSet(namespace: ns, name: statefulset)
            if let t = sts.spec.updateStrategy?.type, t != "OnDelete" {
                fleetLog("note: statefulset \(ns)/\(statefulset) uses updateStrategy \(t), not OnDelete: its controller may replace pods on its own")
            }
            let options = RollOptions(maxLag: gates.maxLag, podTimeout: gates.podTimeout, interval: gates.interval, fromPod: fromPod)
            if dryRun {
                let verdicts = try await roller.verdicts(sts, maxLag: gates.maxLag)
                let order = try RollPlan.order(verdicts.map(\.sample.pod), fromPod: fromPod)
                print("plan: roll \(ns)/\(statefulset), \(order.count) pods, one at a time:")
                for (i, p) in order.enumerated() {
                    print("  \(i + 1). delete \(p); wait up to \(Int(gates.podTimeout)) s for: new pod, Ready, /ext/health healthy, within \(gates.maxLag) blocks of its peers, advancing")
                }
                if let first = order.first,
                   case .refused(let why) = Quorum.canRoll(first, verdicts: verdicts, replicas: sts.spec.replicas ?? verdicts.count) {
                    throw ChainsnapError(.invalidArgument, "the roll would refuse to start now: \(why)", object: "\(ns)/\(first)",
                                         hint: "dry run: nothing was changed")
                }
                print("the roll could start now: every pod other than \(order.first ?? "-") is up")
                return
            }
            let start = monotonicSeconds()
            let results = try await roller.roll(sts, options: options)
            let total = monotonicSeconds() - start
            var perGate: [Gate: Double] = [:]
            for r in results { for (g, d) in r.gates { perGate[g, default: 0] += d } }
            let pre = results.reduce(0) { $0 + $1.precheckSeconds }
            let waited = perGate.values.reduce(0, +)
            fleetLog(String(format: "rolled %d pods of %@/%@ in %.1f s: %.1f s waiting on the replacements' gates (", results.count, ns, statefulset, total, waited)
                + Gate.allCases.map { String(format: "%@ %.1f s", $0.rawValue, perGate[$0] ?? 0) }.joined(separator: ", ")
                + String(format: "), %.1f s checking the other pods before each deletion", pre))
        }
    }
}
