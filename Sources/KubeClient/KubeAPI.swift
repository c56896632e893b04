import Foundation
import SnapshotCore
import Transfer

/// Typed operations on the objects fleet commands use. Reads are polled (list/get), not
/// watched: a roll checks a handful of pods every second or two, well within API limits, and a
/// poll survives API server restarts and proxies that cut long-lived streams.
extension KubeClient {
    /// Every item of a list, page by page: `limit` is `listPageSize` and each `metadata.continue`
    /// is followed until it is empty, for at most `maxListPages` pages (a server that repeats its
    /// token or never ends is an error, not a loop).
    public func list<L: KubeListPage>(_ type: L.Type, _ path: String, query: [(String, String)] = [], object: String) async throws -> [L.Item] {
        var items: [L.Item] = []
        var token: String?
        for _ in 0..<maxListPages {
            var q = query + [("limit", String(listPageSize))]
            if let token { q.append(("continue", token)) }
            let page = try await json(L.self, "GET", path, query: q, object: object, verb: "list")
            items += page.items
            guard let next = page.metadata?.continue, !next.isEmpty else { return items }
            guard next != token else {
                throw ChainsnapError(.rpc, "listing \(object): the API server answered the same continue token twice", object: object,
                                     hint: "the API server (or a proxy in front of it) is not paging correctly; check it, or ask its operator")
            }
            token = next
        }
        throw ChainsnapError(.rpc, "listing \(object) did not end after \(maxListPages) pages of \(listPageSize) items", object: object,
                             hint: "the API server keeps answering a continue token; check the API server (or a proxy in front of it)")
    }

    public func listPods(namespace: String, labelSelector: String? = nil) async throws -> [Pod] {
        var q: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { q.append(("labelSelector", labelSelector)) }
        return try await list(PodList.self, "/api/v1/namespaces/\(namespace)/pods", query: q, object: "pods in namespace \(namespace)")
    }

    /// The pod, or nil when it does not exist (deleted and not yet recreated).
    public func pod(namespace: String, name: String) async throws -> Pod? {
        let object = "pod \(namespace)/\(name)"
        let resp = try await send("GET", "/api/v1/namespaces/\(namespace)/pods/\(name)", object: object)
        if resp.status == 404 { return nil }
        try check(resp, object: object, verb: "get")
        return try JSONDecoder().decode(Pod.self, from: Data(resp.body))
    }

    /// Deletes the pod; with `uid`, only that incarnation (a precondition: never its replacement).
    public func deletePod(namespace: String, name: String, uid: String? = nil) async throws {
        var opts: [String: Any] = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let uid { opts["preconditions"] = ["uid": uid] }
        let body = try JSONSerialization.data(withJSONObject: opts)
        let object = "pod \(namespace)/\(name)"
        let resp = try await send("DELETE", "/api/v1/namespaces/\(namespace)/pods/\(name)", body: [UInt8](body), object: object)
        try check(resp, object: object, verb: "delete")
    }

    public func statefulSet(namespace: String, name: String) async throws -> StatefulSet {
        try await json(StatefulSet.self, "GET", "/apis/apps/v1/namespaces/\(namespace)/statefulsets/\(name)",
                       object: "statefulset \(namespace)/\(name)", verb: "get")
    }

    /// StatefulSets of one namespace, or of every namespace when `namespace` is nil.
    public func listStatefulSets(namespace: String?) async throws -> [StatefulSet] {
        let path = namespace.map { "/apis/apps/v1/namespaces/\($0)/statefulsets" } ?? "/apis/apps/v1/statefulsets"
        return try await list(StatefulSetList.self, path,
                              object: namespace.map { "statefulsets in namespace \($0)" } ?? "statefulsets in all namespaces")
    }

    /// Whether the namespace exists: nil when this identity may not read namespaces.
    public func namespaceExists(_ name: String) async -> Bool? {
        guard let r = try? await send("GET", "/api/v1/namespaces/\(name)", object: "namespace \(name)") else { return nil }
        switch r.status {
        case 200: return true
        case 404: return false
        default: return nil
        }
    }

    /// The ConfigMap, or nil when it does not exist.
    public func configMap(namespace: String, name: String) async throws -> ConfigMap? {
        let object = "configmap \(namespace)/\(name)"
        let resp = try await send("GET", "/api/v1/namespaces/\(namespace)/configmaps/\(name)", object: object)
        if resp.status == 404 { return nil }
        try check(resp, object: object, verb: "get")
        return try JSONDecoder().decode(ConfigMap.self, from: Data(resp.body))
    }

    public func createConfigMap(_ cm: ConfigMap) async throws {
        let ns = cm.metadata.namespace ?? defaultNamespace
        let body = try JSONEncoder().encode(cm)
        _ = try await json(ConfigMap.self, "POST", "/api/v1/namespaces/\(ns)/configmaps", body: [UInt8](body),
                           object: "configmap \(ns)/\(cm.metadata.name)", verb: "create")
    }

    /// JSON merge patch of `data`: a nil value removes the key.
    public func patchConfigMapData(namespace: String, name: String, data: [String: String?]) async throws {
        let d: [String: Any] = data.mapValues { $0.map { $0 as Any } ?? NSNull() }
        let body = try JSONSerialization.data(withJSONObject: ["data": d])
        _ = try await json(ConfigMap.self, "PATCH", "/api/v1/namespaces/\(namespace)/configmaps/\(name)", body: [UInt8](body),
                           contentType: "application/merge-patch+json", object: "configmap \(namespace)/\(name)", verb: "patch")
    }

    /// Events about one object, oldest first.
    public func events(namespace: String, involving name: String) async throws -> [Event] {
        try await list(EventList.self, "/api/v1/namespaces/\(namespace)/events",
                       query: [("fieldSelector", "involvedObject.name=\(name)")], object: "events of \(namespace)/\(name)")
    }

    public func listPVCs(namespace: String, labelSelector: String? = nil) async throws -> [PersistentVolumeClaim] {
        var q: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { q.append(("labelSelector", labelSelector)) }
        return try await list(PersistentVolumeClaimList.self, "/api/v1/namespaces/\(namespace)/persistentvolumeclaims",
                              query: q, object: "persistentvolumeclaims in namespace \(namespace)")
    }

    /// The last `tailLines` lines of a container's log (at most 256 KiB).
    public func podLog(namespace: String, pod: String, container: String, tailLines: Int = 50) async throws -> [String] {
        let object = "log of \(namespace)/\(pod) container \(container)"
        let resp = try await send("GET", "/api/v1/namespaces/\(namespace)/pods/\(pod)/log",
                                  query: [("container", container), ("tailLines", String(tailLines)), ("limitBytes", "262144")],
                                  object: object)
        try check(resp, object: object, verb: "read")
        return resp.bodyText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// A request to the pod's `port` through the API server's pod proxy
    /// (`/api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH`): node RPC from a laptop, no port-forward.
    /// HTTP statuses are returned, not thrown (a node's 503 means "not healthy").
    public func proxy(namespace: String, pod: String, port: Int, path: String, method: String = "GET",
                      body: [UInt8]? = nil, timeout: Double = 10) async throws -> HTTPResponse {
        let p = path.hasPrefix("/") ? path : "/" + path
        return try await send(method, "/api/v1/namespaces/\(namespace)/pods/\(pod):\(port)/proxy\(p)", body: body,
                              object: "pod \(namespace)/\(pod) port \(port) \(p)", timeout: timeout)
    }
}
