import ArgumentParser
import CommandOptions
import Fleet
import FleetDeploy
import RestoreCore

/// `chainsnap k8s volume-snapshot`: a CSI VolumeSnapshot of a node's PVC that records the
/// node's height and block hash, then keeps the newest N (what the chart's snapshot CronJob runs).
struct K8sVolumeSnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume-snapshot",
        abstract: "Take a CSI VolumeSnapshot of a node's PVC, recording its block height and hash; keep the newest N.",
        discussion: """
            Reads the node's head (eth_blockNumber, then that block's hash) from --rpc, or from \
            --pod through the API server's pod proxy; creates a snapshot.storage.k8s.io/v1 \
            VolumeSnapshot of --pvc named PVC-YYYYMMDD-HHMMSS, with annotations \
            chainsnap.io/block-height, chainsnap.io/block-hash, chainsnap.io/chain-id, \
            chainsnap.io/network and labels app.kubernetes.io/managed-by=chainsnap, \
            chainsnap.io/pvc=PVC; waits for status.readyToUse (--wait); then deletes this PVC's \
            older chainsnap snapshots beyond the newest --keep ready ones (never other snapshots, \
            never any when the new one is not ready). In a pod it uses the service account; RBAC: \
            create/get/list/delete volumesnapshots, get persistentvolumeclaims (and create \
            pods/proxy with --pod). Exit 1 on any failure, 64 on a usage error.
            Example: chainsnap k8s volume-snapshot -n lux-mainnet --pvc data-luxd-0 --class csi-snapclass \
            --rpc http://luxd-0.luxd-headless.lux-mainnet.svc.cluster.local:9630 --network mainnet --chain-id 96369 --keep 7
            """
    )

    @Option(help: ArgumentHelp("The PVC to snapshot (e.g. data-luxd-0).", valueName: "name"))
    var pvc: String

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (default: the context's, or the pod's).", valueName: "ns"))
    var namespace: String?

    @Option(name: .customLong("class"), help: ArgumentHelp("VolumeSnapshotClass (default: the cluster's default class).", valueName: "name"))
    var className: String?

    @Option(help: ArgumentHelp("The node's HTTP endpoint, e.g. http://luxd-0.luxd-headless.NS.svc.cluster.local:9630.", valueName: "url"))
    var rpc: String?

    @Option(help: ArgumentHelp("Read the head from this pod's node through the API server's pod proxy instead of --rpc.", valueName: "pod"))
    var pod: String?

    @Option(help: ArgumentHelp("Node port for --pod (default: the pod's container port named http).", valueName: "port"))
    var rpcPort: Int?

    @Option(help: ArgumentHelp("JSON-RPC path (luxd C-chain: /ext/bc/C/rpc; geth: /).", valueName: "path"))
    var rpcPath = "/ext/bc/C/rpc"

    @Option(help: ArgumentHelp("Network name to record (annotation and label chainsnap.io/network).", valueName: "name"))
    var network: String?

    @Option(help: ArgumentHelp("Chain id to record (annotation chainsnap.io/chain-id).", valueName: "id"))
    var chainId: UInt64?

    @Option(help: ArgumentHelp("Ready snapshots of this PVC to keep; older ones chainsnap took are deleted (0 = never prune).", valueName: "n"))
    var keep = 7

    @Option(help: ArgumentHelp("Seconds to wait for status.readyToUse (0 = do not wait, and do not prune).", valueName: "seconds"))
    var wait: Double = 1800

    @Option(help: ArgumentHelp("Seconds between polls while waiting.", valueName: "seconds"))
    var interval: Double = 5

    @Option(help: ArgumentHelp("Also export the ready snapshot to an object store: a folder with clone-pvc.yaml and job.yaml (the chart's templates; __NAME__, __SIZE__, __HEIGHT__, __HASH__ are filled in).", valueName: "dir"))
    var exportTemplates: String?

    @Option(help: ArgumentHelp("Seconds the export Job has to succeed.", valueName: "seconds"))
    var exportTimeout: Double = 14400

    @OptionGroup(title: "Cluster")
    var cluster: KubeAccessOptions

    @Flag(help: "Print the outcome as one JSON object (NDJSON) on stdout.")
    var json = false

    @Flag(help: "Check the arguments and print what would be done; contact nothing.")
    var dryRun = false

    func plan(namespace ns: String) -> VolumeSnapshotPlan {
        VolumeSnapshotPlan(namespace: ns, pvc: pvc, className: className, network: network, chainId: chainId.map(String.init),
                           pod: pod, keep: keep)
    }

    var headSource: HeadSource { rpc.map { .rpc(url: $0, path: rpcPath) } ?? .pod(name: pod ?? "", port: rpcPort, path: rpcPath) }

    func validate() throws {
        guard (rpc == nil) != (pod == nil) else {
            throw ValidationError("give one of --rpc URL (the node's HTTP endpoint) or --pod NAME (through the pod proxy)")
        }
        if let rpc { try checkHTTPURL("--rpc", rpc, example: "http://luxd-0.luxd-headless.lux-mainnet.svc.cluster.local:9630") }
        try checkPort("--rpc-port", rpcPort)
        if rpcPort != nil && pod == nil { throw ValidationError("--rpc-port goes with --pod (with --rpc, put the port in the URL)") }
        if exportTemplates != nil && wait == 0 { throw ValidationError("--export-templates needs --wait > 0 (a snapshot is exported once it is ready)") }
        guard wait >= 0, interval > 0, exportTimeout > 0 else {
            throw ValidationError("--wait must be 0 or more; --interval and --export-timeout positive")
        }
        try asUsageError { try plan(namespace: namespace ?? "default").validate() }
    }

    func run() async throws {
        if dryRun {
            print(plan(namespace: namespace ?? "(the context's namespace)")
                .dryRunLine(source: headSource.description, waitSeconds: wait, exportTemplates: exportTemplates))
            return
        }
        try await reportingErrors {
            let kube = try cluster.client(namespace: namespace)
            let ns = namespace ?? kube.defaultNamespace
            let log: @Sendable (String) -> Void = { json ? writeStderr($0 + "\n") : logLine($0) }
            var export: VolumeSnapshotExport?
            if let dir = exportTemplates {
                let templates = try ExportTemplates(dir: dir)
                export = VolumeSnapshotExport(kube: kube, namespace: ns, timeout: exportTimeout, pollInterval: interval, log: log,
                                              manifests: { try templates.manifests(name: $0, size: $1, height: $2.number, hash: $2.hash) })
            }
            let taker = VolumeSnapshotTaker(kube: kube, plan: plan(namespace: ns), waitSeconds: wait, pollInterval: interval,
                                            export: export, log: log)
            let outcome = try await taker.run(head: try await headSource.reader(kube: kube, namespace: ns))
            if json { try printJSON(outcome) } else { logLine(outcome.summaryLine) }
        }
    }
}
