import ArgumentParser
import Fleet
import Foundation
import KubeClient
import SnapshotCore

/// `chainsnap fleet recover`: re-import or restore one pod, and only that pod.
struct FleetRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Wipe one pod's chain data and restore or re-import it; no other pod is touched.",
        discussion: """
            Writes a one-shot request for POD into ConfigMap chainsnap-recovery (key = pod name), \
            deletes the pod, follows its init container's restore, waits for the same gates as \
            `fleet roll`, then removes the request. The pod's init container (node prepare-data \
            --recovery-dir) honours the request once: it removes only the chain data paths (never \
            staking keys), then restores (--from/--snapshot; default: the chart's initMode.from) or, \
            with --rlp, leaves the chain empty for the supervisor's RLP import.
            Refuses when the other pods are fewer than the network's quorum (n − ⌊(n−1)/3⌋), unless --force.
            Example: chainsnap fleet recover -n lux-mainnet luxd-2 --snapshot 20261201T033000Z-ab12
            """
    )

    @Argument(help: ArgumentHelp("The pod to recover (e.g. luxd-2).", valueName: "pod"))
    var pod: String

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (default: the context's).", valueName: "ns"))
    var namespace: String?

    @Option(help: ArgumentHelp("The network's StatefulSet.", valueName: "name"))
    var statefulset = "luxd"

    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from (default: the chart's initMode.from).", valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("Snapshot id to restore; `latest` restores the newest from the chart's initMode.from.", valueName: "id"))
    var snapshot: String?

    @Flag(help: "Re-import from the RLP bundle instead of restoring (needs the chart's rlpImport).")
    var rlp = false

    @Flag(help: "Recover even when the other pods are fewer than the network's quorum.")
    var force = false

    @Flag(help: "Print what would be done and change nothing.")
    var dryRun = false

    @OptionGroup(title: "Gates")
    var gates: FleetGateOptions

    @OptionGroup(title: "Cluster")
    var cluster: FleetClusterOptions

    func validate() throws {
        let modes = [from != nil || snapshot != nil, rlp].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("give one of --from URL, --snapshot ID (restore) or --rlp (re-import)")
        }
        if let from, !["s3://", "https://", "http://", "file://"].contains(where: from.hasPrefix) {
            throw ValidationError("--from '\(from)' must be an s3://, https://, http:// or file:// URL")
        }
        // The request is stored in a ConfigMap, readable by anyone who may read the namespace.
        if let from, from.contains("?") || from.contains("@") {
            throw ValidationError("--from must not carry credentials (a query string or user:password): the request is stored in ConfigMap "
                + "chainsnap-recovery. Keep a presigned URL in the chart's initMode.fromSecret and run fleet recover with --snapshot ID (or --snapshot latest) instead")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let kube = try cluster.client(namespace: namespace)
            let ns = namespace ?? kube.defaultNamespace
            let roller = FleetRoller(probe: cluster.probe(kube), log: fleetLog)
            let sts = try await roller.statefulSet(namespace: ns, name: statefulset)
            let request = RecoveryRequest.make(mode: rlp ? .rlp : .restore, from: from, snapshot: snapshot)
            if dryRun {
                let verdicts = try await roller.verdicts(sts, maxLag: gates.maxLag)
                print("plan: write \(request.json) as key \(pod) of configmap \(ns)/\(Recovery.configMapName); delete \(pod); "
                      + "wait up to \(Int(gates.podTimeout)) s for: new pod, Ready, healthy, within \(gates.maxLag) blocks, advancing; remove the key")
                if case .refused(let why) = Quorum.canRecover(pod, verdicts: verdicts, replicas: sts.spec.replicas ?? verdicts.count) {
                    print("it would refuse now\(force ? " (but --force is given)" : ""): \(why)")
                }
                return
            }
            let options = RollOptions(maxLag: gates.maxLag, podTimeout: gates.podTimeout, interval: gates.interval)
            let r = try await FleetRecoverer(roller: roller).recover(sts, pod: pod, request: request, options: options, force: force)
            fleetLog(String(format: "recovered %@/%@ in %.1f s", ns, pod, r.seconds))
        }
    }
}
