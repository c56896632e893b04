import Fleet
import Foundation
import KubeClient
import SnapshotCore
import Testing

/// The pure decisions of `k8s volume-snapshot`: names, labels, annotations, what a prune deletes.
@Suite("volume-snapshot plan")
struct VolumeSnapshotPlanTests {
    let plan = VolumeSnapshotPlan(namespace: "lux-mainnet", pvc: "data-luxd-0", className: "csi-snapclass", network: "mainnet",
                                  chainId: "96369", pod: nil, keep: 2)

    func snap(_ name: String, _ created: String, ready: Bool?, labels: [String: String]? = nil) -> VolumeSnapshot {
        var m = ObjectMeta(name: name, namespace: "lux-mainnet", labels: labels ?? plan.labels)
        m.creationTimestamp = created
        var s = VolumeSnapshot(metadata: m, spec: .init(volumeSnapshotClassName: nil, source: .init(persistentVolumeClaimName: "data-luxd-0")))
        if let ready {
            s.status = try? JSONDecoder().decode(VolumeSnapshot.Status.self, from: Data("{\"readyToUse\": \(ready)}".utf8))
        }
        return s
    }

    @Test("the object: UTC name, head and chain in annotations, selectable labels, the class")
    func object() throws {
        let d = Date(timeIntervalSince1970: 1_796_095_800)  // 2026-12-01T03:30:00Z
        let o = plan.object(at: d, height: 1234, hash: "0xabc")
        #expect(o.metadata.name == "data-luxd-0-20261201-033000")
        #expect(o.metadata.annotations?["chainsnap.io/block-height"] == "1234" && o.metadata.annotations?["chainsnap.io/block-hash"] == "0xabc")
        #expect(o.metadata.annotations?["chainsnap.io/chain-id"] == "96369" && o.metadata.annotations?["chainsnap.io/taken-at"]?.hasPrefix("2026-12-01T03:30:00") == true)
        #expect(o.spec.volumeSnapshotClassName == "csi-snapclass" && o.spec.source.persistentVolumeClaimName == "data-luxd-0")
        #expect(plan.selector == "app.kubernetes.io/managed-by=chainsnap,app.kubernetes.io/component=volume-snapshot,chainsnap.io/pvc=data-luxd-0")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(o)) as? [String: Any] ?? [:]
        #expect(json["apiVersion"] as? String == "snapshot.storage.k8s.io/v1" && json["status"] == nil)
        #expect(((json["spec"] as? [String: Any])?["source"] as? [String: Any])?.count == 1, "exactly one source, as the CRD requires")
    }

    @Test("prune keeps the newest N ready ones and anything newer; older go; others' snapshots never")
    func prune() {
        let all = [
            snap("a", "2026-11-25T03:30:00Z", ready: true),
            snap("b", "2026-11-26T03:30:00Z", ready: false),  // an old failure, older than the kept ones: goes
            snap("c", "2026-11-27T03:30:00Z", ready: true),
            snap("d", "2026-11-28T03:30:00Z", ready: true),
            snap("e", "2026-11-29T03:30:00Z", ready: false),  // newer than the oldest kept: stays
            snap("f", "2026-11-30T03:30:00Z", ready: true),
            snap("other", "2026-11-01T03:30:00Z", ready: true, labels: ["app.kubernetes.io/component": "volume-snapshot"]),
        ]
        #expect(plan.toDelete(all).map(\.metadata.name) == ["c", "b", "a"])
        var none = plan
        none.keep = 0
        #expect(none.toDelete(all).isEmpty)
        // Fewer ready than keep: nothing goes.
        #expect(plan.toDelete([all[1], all[2], all[4]]).isEmpty)
    }

    @Test("names Kubernetes would refuse are usage errors")
    func validation() {
        var p = plan
        p.pvc = "Data-Luxd-0"
        #expect(throws: ChainsnapError.self) { try p.validate() }
        p.pvc = String(repeating: "a", count: 64)
        #expect(throws: ChainsnapError.self) { try p.validate() }
        p = plan
        p.network = "main net"
        #expect(throws: ChainsnapError.self) { try p.validate() }
        #expect(throws: Never.self) { try plan.validate() }
    }
}
