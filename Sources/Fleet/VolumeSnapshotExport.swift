import Foundation
import KubeClient
import NodeRPC
import SnapshotCore

/// The object-store export of a ready VolumeSnapshot: a PVC cloned from it, a Job that runs
/// `chainsnap snapshot create` on the clone, then both deleted (the VolumeSnapshot stays, under
/// the keep count). The manifests come from the chart (templates with the run's name, size and
/// the node's head filled in), so this code decides only order, waiting and cleanup.
public struct VolumeSnapshotExport: Sendable {
    /// Builds (clone PVC JSON, Job JSON) for a snapshot name, its restore size and the head.
    public typealias Manifests = @Sendable (_ name: String, _ size: String, _ head: BlockHead) throws -> (pvc: [UInt8], job: [UInt8])

    public let kube: KubeClient
    public let namespace: String
    public let manifests: Manifests
    /// Seconds the Job has to succeed.
    public var timeout: Double
    public var pollInterval: Double
    public var log: @Sendable (String) -> Void

    public init(kube: KubeClient, namespace: String, timeout: Double, pollInterval: Double,
                log: @escaping @Sendable (String) -> Void, manifests: @escaping Manifests) {
        self.kube = kube
        self.namespace = namespace
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.log = log
        self.manifests = manifests
    }

    var pvcs: String { "/api/v1/namespaces/\(namespace)/persistentvolumeclaims" }
    var jobs: String { "/apis/batch/v1/namespaces/\(namespace)/jobs" }

    /// Runs the export of snapshot `name`; the clone PVC and the Job (both named `name`) are
    /// deleted whatever happens. Throws when the Job fails or runs out of time.
    public func run(name: String, size: String, head: BlockHead) async throws {
        let (pvc, job) = try manifests(name, size, head)
        log("volume-snapshot: cloning \(namespace)/\(name) into PVC \(name) (\(size)) and exporting it with Job \(name)")
        do {
            try await kube.createObject(collectionPath: pvcs, json: pvc, object: "persistentvolumeclaim \(namespace)/\(name)")
            try await kube.createObject(collectionPath: jobs, json: job, object: "job \(namespace)/\(name)")
            try await waitJob(name)
        } catch {
            await cleanup(name)
            throw error
        }
        await cleanup(name)
    }

    func waitJob(_ name: String) async throws {
        let deadline = monotonicSeconds() + timeout
        while true {
            guard let j = try await kube.objectJSON(path: "\(jobs)/\(name)", object: "job \(namespace)/\(name)") else {
                throw ChainsnapError(.notFound, "export Job \(namespace)/\(name) disappeared before it finished", object: "job \(namespace)/\(name)")
            }
            let st = j["status"] as? [String: Any] ?? [:]
            if (st["succeeded"] as? Int ?? 0) >= 1 {
                log("volume-snapshot: export Job \(namespace)/\(name) succeeded")
                return
            }
            let failedCondition = (st["conditions"] as? [[String: Any]] ?? []).contains { $0["type"] as? String == "Failed" && $0["status"] as? String == "True" }
            if (st["failed"] as? Int ?? 0) >= 1 || failedCondition {
                for line in await podLogs(name) { log("volume-snapshot: \(name) | \(line)") }
                throw ChainsnapError(.io, "export Job \(namespace)/\(name) failed: chainsnap snapshot create did not finish", object: "job \(namespace)/\(name)",
                                     hint: "its last log lines are above; the VolumeSnapshot \(name) is kept, the clone PVC and the Job are deleted")
            }
            guard monotonicSeconds() < deadline else {
                throw ChainsnapError(.cancelled, "export Job \(namespace)/\(name) did not finish within \(Int(timeout)) s", object: "job \(namespace)/\(name)",
                                     hint: "a larger volume needs a longer --export-timeout (chart: cronJobs.snapshot.timeoutMinutes)", retryable: true)
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
        }
    }

    /// The last lines of the Job's pods (best effort: this identity may not read logs).
    func podLogs(_ name: String) async -> [String] {
        guard let pods = try? await kube.listPods(namespace: namespace, labelSelector: "job-name=\(name)") else { return [] }
        var out: [String] = []
        for p in pods {
            for c in (p.spec.initContainers ?? []) + p.spec.containers {
                out += (try? await kube.podLog(namespace: namespace, pod: p.name, container: c.name, tailLines: 30)) ?? []
            }
        }
        return out
    }

    func cleanup(_ name: String) async {
        for (path, what) in [("\(jobs)/\(name)", "job"), ("\(pvcs)/\(name)", "persistentvolumeclaim")] {
            do {
                try await kube.deleteObject(path: path, object: "\(what) \(namespace)/\(name)")
            } catch {
                log("volume-snapshot: could not delete \(what) \(namespace)/\(name): \(error); delete it by hand")
            }
        }
    }
}
