import Foundation
import SnapshotCore
import Transfer

/// A CSI `snapshot.storage.k8s.io/v1` VolumeSnapshot, reduced to the fields chainsnap writes and
/// reads. The shape follows the CRD kubernetes-csi/external-snapshotter publishes
/// (`client/config/crd/snapshot.storage.k8s.io_volumesnapshots.yaml`): `spec.source` is required
/// and holds exactly one of `persistentVolumeClaimName` / `volumeSnapshotContentName`.
public struct VolumeSnapshot: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public var persistentVolumeClaimName: String?
        public var volumeSnapshotContentName: String?
        public init(persistentVolumeClaimName: String) { self.persistentVolumeClaimName = persistentVolumeClaimName }
    }

    public struct Spec: Codable, Sendable {
        public var volumeSnapshotClassName: String?
        public var source: Source
        public init(volumeSnapshotClassName: String?, source: Source) {
            self.volumeSnapshotClassName = volumeSnapshotClassName
            self.source = source
        }
    }

    /// `status.error`: the snapshot controller's last failure.
    public struct Failure: Codable, Sendable {
        public var message: String?
        public var time: String?
    }

    public struct Status: Codable, Sendable {
        public var readyToUse: Bool?
        public var restoreSize: String?
        public var creationTime: String?
        public var boundVolumeSnapshotContentName: String?
        public var error: Failure?
    }

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec) {
        apiVersion = VolumeSnapshot.apiVersion
        kind = "VolumeSnapshot"
        self.metadata = metadata
        self.spec = spec
    }

    public static let apiVersion = "snapshot.storage.k8s.io/v1"
}

struct VolumeSnapshotList: Decodable {
    var metadata: ListMeta?
    var items: [VolumeSnapshot]
}

/// VolumeSnapshots (create, get, list by label, delete) and the one PVC read they need.
extension KubeClient {
    static func volumeSnapshotsPath(_ ns: String) -> String { "/apis/snapshot.storage.k8s.io/v1/namespaces/\(ns)/volumesnapshots" }

    public func createVolumeSnapshot(_ vs: VolumeSnapshot) async throws -> VolumeSnapshot {
        let ns = vs.metadata.namespace ?? defaultNamespace
        let body = try JSONEncoder().encode(vs)
        let object = "volumesnapshot \(ns)/\(vs.metadata.name)"
        let resp = try await send("POST", Self.volumeSnapshotsPath(ns), body: [UInt8](body), object: object)
        try checkSnapshotAPI(resp, object: object, verb: "create")
        return try decodeSnapshot(resp, object: object)
    }

    /// The VolumeSnapshot, or nil when it does not exist.
    public func volumeSnapshot(namespace ns: String, name: String) async throws -> VolumeSnapshot? {
        let object = "volumesnapshot \(ns)/\(name)"
        let resp = try await send("GET", Self.volumeSnapshotsPath(ns) + "/" + name, object: object)
        if resp.status == 404, KubeError.status(in: resp.body).reason == "NotFound", !Self.isMissingAPI(resp) { return nil }
        try checkSnapshotAPI(resp, object: object, verb: "get")
        return try decodeSnapshot(resp, object: object)
    }

    /// Every VolumeSnapshot of the namespace matching `labelSelector`, following `continue` tokens.
    public func listVolumeSnapshots(namespace ns: String, labelSelector: String) async throws -> [VolumeSnapshot] {
        var out: [VolumeSnapshot] = []
        var token: String?
        repeat {
            var q: [(String, String)] = [("labelSelector", labelSelector), ("limit", "500")]
            if let token { q.append(("continue", token)) }
            let object = "volumesnapshots in namespace \(ns)"
            let resp = try await send("GET", Self.volumeSnapshotsPath(ns), query: q, object: object)
            try checkSnapshotAPI(resp, object: object, verb: "list")
            let page: VolumeSnapshotList
            do {
                page = try JSONDecoder().decode(VolumeSnapshotList.self, from: Data(resp.body))
            } catch {
                throw ChainsnapError(.corrupt, "the API server's answer for \(object) is not a VolumeSnapshotList", object: object,
                                     underlying: KubeDecodeError(text: "\(error)"))
            }
            out += page.items
            token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return out
    }

    public func deleteVolumeSnapshot(namespace ns: String, name: String) async throws {
        let object = "volumesnapshot \(ns)/\(name)"
        let resp = try await send("DELETE", Self.volumeSnapshotsPath(ns) + "/" + name, object: object)
        if resp.status == 404 { return }  // already gone: what delete wanted
        try checkSnapshotAPI(resp, object: object, verb: "delete")
    }

    /// The PVC, or nil when it does not exist.
    public func persistentVolumeClaim(namespace ns: String, name: String) async throws -> PersistentVolumeClaim? {
        let object = "persistentvolumeclaim \(ns)/\(name)"
        let resp = try await send("GET", "/api/v1/namespaces/\(ns)/persistentvolumeclaims/\(name)", object: object)
        if resp.status == 404 { return nil }
        try check(resp, object: object, verb: "get")
        do {
            return try JSONDecoder().decode(PersistentVolumeClaim.self, from: Data(resp.body))
        } catch {
            throw ChainsnapError(.corrupt, "the API server's answer for \(object) is not a PersistentVolumeClaim", object: object,
                                 underlying: KubeDecodeError(text: "\(error)"))
        }
    }

    /// A 404 whose Status has no object details: the API group itself is not served (no CRD).
    static func isMissingAPI(_ resp: HTTPResponse) -> Bool {
        guard resp.status == 404 else { return false }
        let (message, _) = KubeError.status(in: resp.body)
        return message == nil || message == "the server could not find the requested resource"
    }

    private func checkSnapshotAPI(_ resp: HTTPResponse, object: String, verb: String) throws {
        if Self.isMissingAPI(resp) {
            throw ChainsnapError(.notFound, "the API server \(connection.server) does not serve \(VolumeSnapshot.apiVersion) (HTTP 404 while trying to \(verb) \(object))",
                                 object: object,
                                 hint: "install the CSI snapshot CRDs and controller (kubernetes-csi/external-snapshotter) and a CSI driver with a VolumeSnapshotClass; `kubectl api-resources | grep volumesnapshots` shows whether they are there")
        }
        if resp.status == 403 {
            let e = KubeError.error(status: resp.status, body: resp.body, verb: verb, object: object, connection: connection)
            throw ChainsnapError(e.code, e.message, object: object,
                                 hint: "grant \(verb) on volumesnapshots (apiGroup snapshot.storage.k8s.io) in this namespace: the Role in jobs/volume-snapshot-cronjob.yaml has exactly what `chainsnap k8s volume-snapshot` needs")
        }
        try check(resp, object: object, verb: verb)
    }

    private func decodeSnapshot(_ resp: HTTPResponse, object: String) throws -> VolumeSnapshot {
        do {
            return try JSONDecoder().decode(VolumeSnapshot.self, from: Data(resp.body))
        } catch {
            throw ChainsnapError(.corrupt, "the API server's answer for \(object) is not a VolumeSnapshot", object: object,
                                 underlying: KubeDecodeError(text: "\(error)"))
        }
    }
}
