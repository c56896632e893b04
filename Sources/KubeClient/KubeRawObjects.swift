import Foundation
import SnapshotCore
import Transfer

/// Objects chainsnap creates from manifests it did not build itself (the chart's clone-PVC and
/// export-Job templates): JSON in, status fields out. One funnel for create, get and delete.
extension KubeClient {
    /// POSTs a manifest (JSON) to `collectionPath` (e.g. `/apis/batch/v1/namespaces/NS/jobs`).
    public func createObject(collectionPath: String, json body: [UInt8], object: String) async throws {
        let resp = try await send("POST", collectionPath, body: body, object: object)
        try check(resp, object: object, verb: "create")
    }

    /// The object as JSON, or nil when it does not exist.
    public func objectJSON(path: String, object: String) async throws -> [String: Any]? {
        let resp = try await send("GET", path, object: object)
        if resp.status == 404 { return nil }
        try check(resp, object: object, verb: "get")
        guard let o = (try? JSONSerialization.jsonObject(with: Data(resp.body))) as? [String: Any] else {
            throw ChainsnapError(.corrupt, "the API server's answer for \(object) is not a JSON object", object: object)
        }
        return o
    }

    /// Deletes with background propagation (a Job's pods go with it); a missing object is fine.
    public func deleteObject(path: String, object: String) async throws {
        let opts = try JSONSerialization.data(withJSONObject: ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"])
        let resp = try await send("DELETE", path, body: [UInt8](opts), object: object)
        if resp.status == 404 { return }
        try check(resp, object: object, verb: "delete")
    }
}
