import Foundation
import KubeClient
import NodeRPC
import SnapshotCore

/// What `chainsnap k8s volume-snapshot` did.
public struct VolumeSnapshotOutcome: Sendable, Encodable {
    public var namespace: String
    public var name: String
    public var pvc: String
    public var height: UInt64
    public var blockHash: String
    public var readyToUse: Bool
    public var restoreSize: String?
    public var pruned: [String]
    /// Whether the snapshot was also exported to an object store (a clone PVC and a Job).
    public var exported: Bool
    public var seconds: Double
}

/// Takes a CSI VolumeSnapshot of a node's PVC through the Kubernetes API: reads the node's head
/// (height and block hash) first, creates the snapshot with the head in its annotations, waits
/// for `status.readyToUse`, prunes older snapshots it took of the same PVC (label-selected), and
/// optionally exports the new one to an object store (`VolumeSnapshotExport`).
/// Nothing is pruned unless the new snapshot is ready: a failing CSI driver never costs the
/// snapshots that still work.
public struct VolumeSnapshotTaker: Sendable {
    public let kube: KubeClient
    public let plan: VolumeSnapshotPlan
    /// Seconds to wait for readyToUse; 0 = do not wait (and do not prune).
    public var waitSeconds: Double
    public var pollInterval: Double
    public var log: @Sendable (String) -> Void
    /// After the snapshot is ready (and the prune): export it to an object store.
    public var export: VolumeSnapshotExport?

    public init(kube: KubeClient, plan: VolumeSnapshotPlan, waitSeconds: Double, pollInterval: Double = 2,
                export: VolumeSnapshotExport? = nil, log: @escaping @Sendable (String) -> Void) {
        self.export = export
        self.kube = kube
        self.plan = plan
        self.waitSeconds = waitSeconds
        self.pollInterval = pollInterval
        self.log = log
    }

    /// `head` reads the node's height and block hash (the node's RPC, or the pod proxy).
    public func run(head: @Sendable () async throws -> BlockHead) async throws -> VolumeSnapshotOutcome {
        let start = monotonicSeconds()
        let ns = plan.namespace
        guard let pvc = try await kube.persistentVolumeClaim(namespace: ns, name: plan.pvc) else {
            throw ChainsnapError(.notFound, "PVC \(ns)/\(plan.pvc) does not exist: there is no volume to snapshot", object: "persistentvolumeclaim \(ns)/\(plan.pvc)",
                                 hint: "give the pod's PVC (a StatefulSet's data-luxd-N; `kubectl -n \(ns) get pvc` lists them) and check -n/--namespace")
        }
        if let phase = pvc.status?.phase, phase != "Bound" {
            throw ChainsnapError(.invalidArgument, "PVC \(ns)/\(plan.pvc) is \(phase), not Bound: it has no volume to snapshot yet",
                                 object: "persistentvolumeclaim \(ns)/\(plan.pvc)", hint: "wait until the pod has started once, then run again")
        }
        let h = try await head()
        let vs = plan.object(at: Date(), height: h.number, hash: h.hash)
        log("volume-snapshot: creating VolumeSnapshot \(ns)/\(vs.metadata.name) of PVC \(plan.pvc) at block \(h.number) \(h.hash)"
            + (plan.className.map { " (class \($0))" } ?? " (the default VolumeSnapshotClass)"))
        var made = try await kube.createVolumeSnapshot(vs)
        var outcome = VolumeSnapshotOutcome(namespace: ns, name: vs.metadata.name, pvc: plan.pvc, height: h.number, blockHash: h.hash,
                                            readyToUse: made.status?.readyToUse == true, restoreSize: made.status?.restoreSize,
                                            pruned: [], exported: false, seconds: 0)
        if waitSeconds > 0 {
            made = try await waitReady(vs.metadata.name)
            outcome.readyToUse = true
            outcome.restoreSize = made.status?.restoreSize
            outcome.pruned = try await prune()
            if let export {
                let size = made.status?.restoreSize ?? pvc.status?.capacity?["storage"] ?? ""
                try await export.run(name: vs.metadata.name, size: size, head: h)
                outcome.exported = true
            }
        } else if plan.keep > 0 {
            log("volume-snapshot: not waiting for readyToUse (--wait 0), so nothing is pruned")
        }
        outcome.seconds = monotonicSeconds() - start
        return outcome
    }

    /// Polls until readyToUse; on timeout the error carries the controller's last error message.
    func waitReady(_ name: String) async throws -> VolumeSnapshot {
        let ns = plan.namespace
        let deadline = monotonicSeconds() + waitSeconds
        var lastError: String?
        while true {
            guard let s = try await kube.volumeSnapshot(namespace: ns, name: name) else {
                throw ChainsnapError(.notFound, "VolumeSnapshot \(ns)/\(name) disappeared while waiting for it to become ready",
                                     object: "volumesnapshot \(ns)/\(name)", hint: "someone deleted it; run again")
            }
            if s.status?.readyToUse == true {
                log("volume-snapshot: \(ns)/\(name) is ready" + (s.status?.restoreSize.map { " (restore size \($0))" } ?? ""))
                return s
            }
            if let m = s.status?.error?.message, m != lastError {
                lastError = m
                log("volume-snapshot: the snapshot controller reports: \(m)")
            }
            guard monotonicSeconds() < deadline else {
                throw ChainsnapError(.cancelled, "VolumeSnapshot \(ns)/\(name) was not readyToUse after \(Int(waitSeconds)) s"
                                     + (lastError.map { "; the snapshot controller says: \($0)" } ?? ""),
                                     object: "volumesnapshot \(ns)/\(name)",
                                     hint: "it is left in place (nothing was pruned); `kubectl -n \(ns) describe volumesnapshot \(name)` shows the controller's events; a longer --wait helps large volumes", retryable: true)
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// Deletes this PVC's chainsnap snapshots beyond the newest `keep` ready ones; returns their names.
    func prune() async throws -> [String] {
        guard plan.keep > 0 else { return [] }
        let all = try await kube.listVolumeSnapshots(namespace: plan.namespace, labelSelector: plan.selector)
        let doomed = plan.toDelete(all)
        for s in doomed {
            log("volume-snapshot: pruning \(plan.namespace)/\(s.metadata.name) (keeping the newest \(plan.keep) ready)")
            try await kube.deleteVolumeSnapshot(namespace: plan.namespace, name: s.metadata.name)
        }
        return doomed.map(\.metadata.name)
    }
}

/// The node's head through the API server's pod proxy: `eth_blockNumber`, then that block's hash
/// from `eth_getBlockByNumber` (the same two calls `snapshot create --rpc` makes directly).
public struct PodProxyHead: Sendable {
    public let kube: KubeClient
    public let namespace: String
    public let pod: String
    public let port: Int
    public let rpcPath: String

    public init(kube: KubeClient, namespace: String, pod: String, port: Int, rpcPath: String) {
        self.kube = kube
        self.namespace = namespace
        self.pod = pod
        self.port = port
        self.rpcPath = rpcPath
    }

    public func read() async throws -> BlockHead {
        let probe = NodeProbe(kube: kube, access: NodeAccess(rpcPort: port, timeout: 15))
        let n = try await probe.blockNumber(namespace, pod, port, path: rpcPath)
        let r = try await call("eth_getBlockByNumber", ["0x" + String(n, radix: 16), false])
        guard let o = r as? [String: Any], let h = o["hash"] as? String,
              let ns = o["number"] as? String, NodeClient.parseQuantity(ns) == n else {
            throw ChainsnapError(.rpc, "the node in pod \(namespace)/\(pod) does not return block \(n) (eth_getBlockByNumber)",
                                 object: "\(namespace)/\(pod)", hint: "is the node serving its C-chain RPC at \(rpcPath)? (--rpc-path)")
        }
        return BlockHead(number: n, hash: h.lowercased())
    }

    func call(_ method: String, _ params: [Any]) async throws -> Any {
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])
        let r = try await kube.proxy(namespace: namespace, pod: pod, port: port, path: rpcPath, method: "POST", body: [UInt8](body), timeout: 15)
        guard r.status == 200 else {
            if r.status == 401 || r.status == 403 { try kube.check(r, object: "pod \(namespace)/\(pod) proxy", verb: "proxy to") }
            throw ChainsnapError(.rpc, "\(method) via the pod proxy got HTTP \(r.status)", object: "\(namespace)/\(pod)")
        }
        guard let o = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] else {
            throw ChainsnapError(.rpc, "\(method) via the pod proxy returned no JSON-RPC answer", object: "\(namespace)/\(pod)")
        }
        if let e = o["error"] as? [String: Any] {
            throw ChainsnapError(.rpc, "\(method) failed: \(e["message"] as? String ?? "?")", object: "\(namespace)/\(pod)")
        }
        return o["result"] ?? NSNull()
    }
}
