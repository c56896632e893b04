import ArgumentParser
import Fleet
import FleetDeploy
import Foundation
import RestoreCore
import KubeClient
import NodeRPC
import SnapshotCore

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

    func validate() throws {
        guard (rpc == nil) != (pod == nil) else {
            throw ValidationError("give one of --rpc URL (the node's HTTP endpoint) or --pod NAME (through the pod proxy)")
        }
        if let rpc, !(rpc.hasPrefix("http://") || rpc.hasPrefix("https://")) {
            throw ValidationError("--rpc '\(rpc)' must be an http:// or https:// URL, e.g. http://luxd-0.luxd-headless.lux-mainnet.svc.cluster.local:9630")
        }
        if let rpcPort, !(1...65535).contains(rpcPort) { throw ValidationError("--rpc-port must be between 1 and 65535") }
        if rpcPort != nil && pod == nil { throw ValidationError("--rpc-port goes with --pod (with --rpc, put the port in the URL)") }
        if exportTemplates != nil && wait == 0 { throw ValidationError("--export-templates needs --wait > 0 (a snapshot is exported once it is ready)") }
        guard wait >= 0, interval > 0, exportTimeout > 0 else {
            throw ValidationError("--wait must be 0 or more; --interval and --export-timeout positive")
        }
        try asUsageError { try plan(namespace: namespace ?? "default").validate() }
    }

    func run() async throws {
        if dryRun {
            let p = plan(namespace: namespace ?? "(the context's namespace)")
            let o = p.object(at: Date(), height: 0, hash: "(the node's)")
            print("would read the head from \(rpc ?? "pod \(pod ?? "") through the pod proxy") and create VolumeSnapshot "
                  + "\(p.namespace)/\(o.metadata.name) of PVC \(pvc) (class \(className ?? "default")), labels \(p.selector); "
                  + (wait > 0 ? "wait up to \(Int(wait)) s for readyToUse, then keep the newest \(keep) ready" : "not wait, not prune")
                  + (exportTemplates.map { "; then export it with the templates in \($0)" } ?? ""))
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
                                              manifests: templates.manifests)
            }
            let taker = VolumeSnapshotTaker(kube: kube, plan: plan(namespace: ns), waitSeconds: wait, pollInterval: interval,
                                            export: export, log: log)
            let head: @Sendable () async throws -> BlockHead
            if let rpc {
                let path = rpcPath
                head = {
                    try await NodeClient(endpoints: NodeEndpoints(baseURL: rpc, rpcPath: path), timeout: 30)
                        .headToRecord(height: nil, blockHash: nil)
                }
            } else {
                let podName = pod ?? ""
                let port = try await nodePort(kube, ns, podName)
                head = { try await PodProxyHead(kube: kube, namespace: ns, pod: podName, port: port, rpcPath: rpcPath).read() }
            }
            let outcome = try await taker.run(head: head)
            if json {
                try printJSON(outcome)
            } else {
                logLine("volume-snapshot: \(outcome.namespace)/\(outcome.name) of \(outcome.pvc) at block \(outcome.height) "
                        + "\(outcome.blockHash), \(outcome.readyToUse ? "ready" : "not waited for")\(outcome.exported ? ", exported" : ""); pruned \(outcome.pruned.count)"
                        + (outcome.pruned.isEmpty ? "" : " (\(outcome.pruned.joined(separator: ", ")))")
                        + String(format: "; %.1f s", outcome.seconds))
            }
        }
    }

    /// --rpc-port, else the pod's container port named http.
    func nodePort(_ kube: KubeClient, _ ns: String, _ name: String) async throws -> Int {
        if let rpcPort { return rpcPort }
        guard let p = try await kube.pod(namespace: ns, name: name) else {
            throw ChainsnapError(.notFound, "pod \(ns)/\(name) does not exist", object: "pod \(ns)/\(name)",
                                 hint: "give the node's pod (--pod luxd-N) or its endpoint with --rpc")
        }
        let ports = p.spec.containers.flatMap { $0.ports ?? [] }
        guard let port = ports.first(where: { $0.name == "http" })?.containerPort else {
            throw ChainsnapError(.invalidArgument, "pod \(ns)/\(name) has no container port named http", object: "pod \(ns)/\(name)",
                                 hint: "give the node's HTTP port with --rpc-port")
        }
        return port
    }
}

/// The chart's clone-PVC and export-Job templates (`--export-templates DIR`), read once.
struct ExportTemplates: Sendable {
    let pvc: String
    let job: String

    init(dir: String) throws {
        func read(_ f: String) throws -> String {
            let path = dir + "/" + f
            guard let d = FileManager.default.contents(atPath: path), d.count <= YAMLReading.maxBytes else {
                throw ChainsnapError(.notFound, "export template \(path) cannot be read", object: path,
                                     hint: "--export-templates names a folder holding clone-pvc.yaml and job.yaml (the chart mounts ConfigMap luxd-snapshot-export)")
            }
            return String(decoding: d, as: UTF8.self)
        }
        pvc = try read("clone-pvc.yaml")
        job = try read("job.yaml")
    }

    /// Both manifests as JSON, placeholders filled in.
    func manifests(name: String, size: String, head: BlockHead) throws -> (pvc: [UInt8], job: [UInt8]) {
        func fill(_ t: String, _ source: String) throws -> [UInt8] {
            let text = t.replacingOccurrences(of: "__NAME__", with: name).replacingOccurrences(of: "__SIZE__", with: size)
                .replacingOccurrences(of: "__HEIGHT__", with: String(head.number)).replacingOccurrences(of: "__HASH__", with: head.hash)
            let docs = try YAMLReading.documents(text, source: source)
            guard docs.count == 1, case .map = docs[0] else {
                throw ChainsnapError(.invalidArgument, "export template \(source) must hold exactly one manifest", object: source)
            }
            return [UInt8](try JSONSerialization.data(withJSONObject: Self.plain(docs[0])))
        }
        return (try fill(pvc, "clone-pvc.yaml"), try fill(job, "job.yaml"))
    }

    static func plain(_ v: FleetValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .list(let l): return l.map(plain)
        case .map(let m): return Dictionary(m.map { ($0.key, plain($0.value)) }, uniquingKeysWith: { _, last in last })
        }
    }
}
