import Foundation
import KubeClient
import SnapshotCore

extension VolumeSnapshotPlan {
    /// What `k8s volume-snapshot --dry-run` prints: where the head comes from, the object it
    /// would create, and whether it waits, prunes and exports.
    public func dryRunLine(source: String, waitSeconds: Double, exportTemplates: String?, now: Date = Date()) -> String {
        let o = object(at: now, height: 0, hash: "(the node's)")
        return "would read the head from \(source) and create VolumeSnapshot "
            + "\(namespace)/\(o.metadata.name) of PVC \(pvc) (class \(className ?? "default")), labels \(selector); "
            + (waitSeconds > 0 ? "wait up to \(Int(waitSeconds)) s for readyToUse, then keep the newest \(keep) ready" : "not wait, not prune")
            + (exportTemplates.map { "; then export it with the templates in \($0)" } ?? "")
    }
}

extension VolumeSnapshotOutcome {
    /// The one log line a run ends with (the text form of `--json`'s object).
    public var summaryLine: String {
        "volume-snapshot: \(namespace)/\(name) of \(pvc) at block \(height) \(blockHash), "
            + (readyToUse ? "ready" : "not waited for") + (exported ? ", exported" : "") + "; pruned \(pruned.count)"
            + (pruned.isEmpty ? "" : " (\(pruned.joined(separator: ", ")))")
            + String(format: "; %.1f s", seconds)
    }
}

extension KubeClient {
    /// The node's HTTP port in pod `ns/name`: `override` (`--rpc-port`) when given, else the
    /// pod's container port named `http`. A missing pod or port is an error saying what to pass.
    public func nodeHTTPPort(namespace ns: String, pod name: String, override: Int?) async throws -> Int {
        if let override { return override }
        guard let p = try await pod(namespace: ns, name: name) else {
            throw ChainsnapError(.notFound, "pod \(ns)/\(name) does not exist", object: "pod \(ns)/\(name)",
                                 hint: "give the node's pod (--pod luxd-N) or its endpoint with --rpc")
        }
        guard let port = p.port(named: "http") else {
            throw ChainsnapError(.invalidArgument, "pod \(ns)/\(name) has no container port named http", object: "pod \(ns)/\(name)",
                                 hint: "give the node's HTTP port with --rpc-port")
        }
        return port
    }
}
