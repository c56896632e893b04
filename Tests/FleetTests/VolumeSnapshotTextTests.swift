import Fleet
import Foundation
import Testing

/// What `k8s volume-snapshot` prints, built in the Fleet module (the command only prints it).
@Suite("volume-snapshot text")
struct VolumeSnapshotTextTests {
    let plan = VolumeSnapshotPlan(namespace: "lux-mainnet", pvc: "data-luxd-0", className: nil, network: "mainnet",
                                  chainId: nil, pod: nil, keep: 3)

    @Test("--dry-run names the source, the object, the class, the wait and prune, and the export")
    func dryRun() {
        let d = Date(timeIntervalSince1970: 1_796_095_800)  // 2026-12-01T03:30:00Z
        let waiting = plan.dryRunLine(source: "http://luxd-0:9630", waitSeconds: 600, exportTemplates: "/templates", now: d)
        #expect(waiting == "would read the head from http://luxd-0:9630 and create VolumeSnapshot lux-mainnet/data-luxd-0-20261201-033000 "
                + "of PVC data-luxd-0 (class default), labels \(plan.selector); wait up to 600 s for readyToUse, then keep the newest 3 ready; "
                + "then export it with the templates in /templates")
        #expect(plan.dryRunLine(source: "x", waitSeconds: 0, exportTemplates: nil, now: d).hasSuffix("; not wait, not prune"))
    }
}
