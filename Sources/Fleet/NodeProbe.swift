import Foundation
import KubeClient
import NodeRPC
import SnapshotCore
import Transfer

/// How to reach the node inside each pod through the API server's pod proxy.
public struct NodeAccess: Sendable {
    /// `--rpc-port`; nil = the pod's container port named `http`.
    public var rpcPort: Int?
    /// geth-style node: JSON-RPC at `/`, no `/ext/health` (healthy = answers and not syncing).
    public var geth: Bool
    /// Chain aliases whose heights to show; nil = the `--alias C=ALIAS` arguments of the pod's containers.
    public var chains: [String]?
    public var timeout: Double

    public init(rpcPort: Int? = nil, geth: Bool = false, chains: [String]? = nil, timeout: Double = 10) {
        self.rpcPort = rpcPort
        self.geth = geth
        self.chains = chains
        self.timeout = timeout
    }

    var rpcPath: String { geth ? "/" : "/ext/bc/C/rpc" }
}

/// Samples pods: Kubernetes' view plus the node's answers through the pod proxy.
public struct NodeProbe: Sendable {
    public let kube: KubeClient
    public let access: NodeAccess

    public init(kube: KubeClient, access: NodeAccess) {
        self.kube = kube
        self.access = access
    }

    /// Samples every pod of `sts`, in parallel. `withLogs` also reads init-container logs
    /// (restore progress, restore marker): `fleet status` does, the roll's polling does not.
    public func sample(_ sts: StatefulSet, withLogs: Bool) async throws -> [PodSample] {
        let ns = sts.metadata.namespace ?? kube.defaultNamespace
        let pods = try await kube.listPods(namespace: ns, labelSelector: sts.labelSelector)
        return await withTaskGroup(of: (Int, PodSample).self) { g in
            for (i, p) in pods.enumerated() {
                g.addTask { (i, await self.sample(p, namespace: ns, network: sts.metadata.name, withLogs: withLogs)) }
            }
            var out = [PodSample?](repeating: nil, count: pods.count)
            for await (i, s) in g { out[i] = s }
            return out.compactMap { $0 }.sorted { ($0.ordinal ?? 0, $0.pod) < ($1.ordinal ?? 0, $1.pod) }
        }
    }

    /// One pod, by name: nil when it does not exist.
    public func sample(namespace: String, network: String, pod name: String) async throws -> PodSample? {
        guard let p = try await kube.pod(namespace: namespace, name: name) else { return nil }
        return await sample(p, namespace: namespace, network: network, withLogs: false)
    }

    public func sample(_ p: Pod, namespace ns: String, network: String, withLogs: Bool) async -> PodSample {
        var s = PodSample(namespace: ns, network: network, pod: p.name, uid: p.uid, phase: Self.phase(of: p), ready: p.isReady,
                          image: p.spec.containers.first?.image, at: monotonicSeconds())
        if withLogs, let initName = p.spec.initContainers?.last(where: { $0.name == "prepare-data" })?.name ?? p.spec.initContainers?.last?.name,
           p.status?.initContainerStatuses?.first(where: { $0.name == initName }).map({ $0.state?.waiting == nil }) ?? false {
            let lines = (try? await kube.podLog(namespace: ns, pod: p.name, container: initName, tailLines: 200)) ?? []
            s.marker = InitProgress.marker(fromLog: lines)
            if p.runningInitContainer?.name == initName, let prog = InitProgress.phase(fromLog: lines) {
                s.phase = "Init: \(prog)"
            }
        }
        guard p.phase == "Running", !p.isTerminating else {
            s.error = "pod is \(s.phase)"
            return s
        }
        guard let port = access.rpcPort ?? p.port(named: "http") else {
            s.error = "no container port named http; pass --rpc-port"
            return s
        }
        do {
            if access.geth {
                s.height = try await blockNumber(ns, p.name, port, path: "/")
                try await syncState(&s, ns, p.name, port)
                s.healthy = s.syncing == false
            } else {
                let h = try await kube.proxy(namespace: ns, pod: p.name, port: port, path: "/ext/health", timeout: access.timeout)
                s.healthy = Self.healthy(h)
                if !s.healthy { s.error = "/ext/health answered HTTP \(h.status)" }
                s.height = try await blockNumber(ns, p.name, port, path: access.rpcPath)
                try await syncState(&s, ns, p.name, port)
            }
            for alias in access.chains ?? Self.aliases(of: p) {
                let h = try? await blockNumber(ns, p.name, port, path: "/ext/bc/\(alias)/rpc")
                s.chains.append(.init(alias: alias, height: h))
            }
        } catch {
            s.healthy = false
            s.error = "\(error)".split(separator: "\n").first.map(String.init)
        }
        return s
    }

    /// `Pending`, `Init: prepare-data`, `Init: ImagePullBackOff`, `Running`, `CrashLoopBackOff`, `Terminating`.
    public static func phase(of p: Pod) -> String {
        if p.isTerminating { return "Terminating" }
        if let i = p.runningInitContainer, p.phase == "Pending" {
            if let r = i.state?.waiting?.reason, r != "PodInitializing" { return "Init: \(r)" }
            return "Init: \(i.name)"
        }
        if let bad = p.status?.initContainerStatuses?.first(where: { ($0.state?.terminated?.exitCode ?? 0) != 0 }) {
            return "Init: \(bad.name) failed (exit \(bad.state?.terminated?.exitCode ?? 0))"
        }
        if let w = p.status?.containerStatuses?.compactMap({ $0.state?.waiting?.reason }).first, w != "ContainerCreating" || p.phase != "Pending" {
            return w
        }
        return p.phase
    }

    static func healthy(_ r: HTTPResponse) -> Bool {
        guard r.status == 200 else { return false }
        if let o = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any], let h = o["healthy"] as? Bool { return h }
        return true
    }

    /// `--alias CHAIN=ALIAS` arguments of the pod's containers (the supervisor's), aliases only.
    static func aliases(of p: Pod) -> [String] {
        var out: [String] = []
        for c in p.spec.containers {
            let a = c.args ?? []
            for (i, arg) in a.enumerated() {
                var v: String?
                if arg == "--alias", i + 1 < a.count { v = a[i + 1] } else if arg.hasPrefix("--alias=") { v = String(arg.dropFirst(8)) }
                if let v, let eq = v.firstIndex(of: "=") { out.append(String(v[v.index(after: eq)...])) }
            }
        }
        return out
    }

    func rpc(_ ns: String, _ pod: String, _ port: Int, path: String, method: String) async throws -> Any {
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": [Any]()])
        let r = try await kube.proxy(namespace: ns, pod: pod, port: port, path: path, method: "POST", body: [UInt8](body), timeout: access.timeout)
        guard r.status == 200 else {
            if r.status == 401 || r.status == 403 { try kube.check(r, object: "pod \(ns)/\(pod) proxy", verb: "proxy to") }
            throw ChainsnapError(.rpc, "\(method) via the pod proxy got HTTP \(r.status)", object: "\(ns)/\(pod)")
        }
        guard let o = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] else {
            throw ChainsnapError(.rpc, "\(method) via the pod proxy returned no JSON-RPC answer", object: "\(ns)/\(pod)")
        }
        if let e = o["error"] as? [String: Any] {
            throw ChainsnapError(.rpc, "\(method) failed: \(e["message"] as? String ?? "?")", object: "\(ns)/\(pod)")
        }
        return o["result"] ?? NSNull()
    }

    func blockNumber(_ ns: String, _ pod: String, _ port: Int, path: String) async throws -> UInt64 {
        let r = try await rpc(ns, pod, port, path: path, method: "eth_blockNumber")
        guard let s = r as? String, let n = NodeClient.parseQuantity(s) else {
            throw ChainsnapError(.rpc, "eth_blockNumber returned '\(r)', not a hex quantity", object: "\(ns)/\(pod)")
        }
        return n
    }

    func syncState(_ s: inout PodSample, _ ns: String, _ pod: String, _ port: Int) async throws {
        let r = try await rpc(ns, pod, port, path: access.rpcPath, method: "eth_syncing")
        if let b = r as? Bool, b == false { s.syncing = false; return }
        s.syncing = true
        if let o = r as? [String: Any] {
            let cur = (o["currentBlock"] as? String).flatMap(NodeClient.parseQuantity)
            let hi = (o["highestBlock"] as? String).flatMap(NodeClient.parseQuantity)
            if let cur, let hi { s.syncPhase = "\(cur)/\(hi)" }
        }
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
