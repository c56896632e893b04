import Foundation
import KubeClient
import SnapshotCore
import Transfer

/// `fleet recover`: one pod only — write its one-shot request, delete it, follow the restore or
/// import, wait for the roll's gates, clear the request.
public struct FleetRecoverer: Sendable {
    public let roller: FleetRoller

    public init(roller: FleetRoller) { self.roller = roller }

    var kube: KubeClient { roller.probe.kube }

    /// Adds (or replaces) the request for `pod` in ConfigMap `chainsnap-recovery`.
    public func writeRequest(_ r: RecoveryRequest, namespace ns: String, pod: String) async throws {
        if try await kube.configMap(namespace: ns, name: Recovery.configMapName) == nil {
            let cm = ConfigMap(metadata: ObjectMeta(name: Recovery.configMapName, namespace: ns,
                                                    labels: ["app.kubernetes.io/managed-by": "chainsnap"]),
                               data: [pod: r.json])
            do {
                try await kube.createConfigMap(cm)
                return
            } catch let e as ChainsnapError where e.code == .conflict {
                // Created by someone else meanwhile: patch it below.
            }
        }
        try await kube.patchConfigMapData(namespace: ns, name: Recovery.configMapName, data: [pod: r.json])
    }

    /// Removes the request for `pod` (other pods' keys stay).
    public func clearRequest(namespace ns: String, pod: String) async throws {
        guard let cm = try await kube.configMap(namespace: ns, name: Recovery.configMapName), cm.data?[pod] != nil else { return }
        try await kube.patchConfigMapData(namespace: ns, name: Recovery.configMapName, data: [pod: nil])
    }

    /// The whole recovery. `force` skips the quorum check.
    public func recover(_ sts: StatefulSet, pod: String, request: RecoveryRequest, options: RollOptions, force: Bool) async throws -> PodRollResult {
        let ns = sts.metadata.namespace ?? kube.defaultNamespace
        let log = roller.log
        let verdicts = try await roller.verdicts(sts, maxLag: options.maxLag)
        guard let target = verdicts.first(where: { $0.sample.pod == pod })?.sample else {
            throw ChainsnapError(.notFound, "pod \(pod) is not a pod of statefulset \(ns)/\(sts.metadata.name)", object: "\(ns)/\(pod)",
                                 hint: "its pods: \(verdicts.map(\.sample.pod).joined(separator: ", "))")
        }
        let replicas = sts.spec.replicas ?? verdicts.count
        if case .refused(let why) = Quorum.canRecover(pod, verdicts: verdicts, replicas: replicas) {
            if force {
                log("warning: --force: \(why); recovering \(pod) anyway")
            } else {
                throw ChainsnapError(.invalidArgument, "refusing to take \(pod) down: \(why)", object: "\(ns)/\(pod)",
                                     hint: "nothing was changed; bring the other pods back first (`chainsnap fleet status -n \(ns)`), or pass --force to accept losing quorum")
            }
        }
        // --rlp leaves the chain empty for the supervisor's RLP import: without one the pod would sync from peers for days.
        if request.mode == .rlp, let p = try await kube.pod(namespace: ns, name: pod),
           !p.spec.containers.contains(where: { ($0.args ?? []).contains("--import-from") }) {
            let why = "\(pod)'s supervisor has no --import-from (the chart's rlpImport.enabled is off): after the wipe it would sync from its peers"
            if force {
                log("warning: --force: \(why)")
            } else {
                throw ChainsnapError(.invalidArgument, "refusing --rlp: \(why)", object: "\(ns)/\(pod)",
                                     hint: "nothing was changed; enable rlpImport in the release's values (helm upgrade), or restore with --from URL / --snapshot ID")
            }
        }
        // The pod's volume stays; only its chain data paths are wiped by the init container.
        if let pvc = try? await kube.listPVCs(namespace: ns).first(where: { $0.metadata.name.hasSuffix("-" + pod) }) {
            log("\(pod): volume \(pvc.metadata.name) is \(pvc.status?.phase ?? "?")\(pvc.status?.capacity?["storage"].map { " (\($0))" } ?? ""); "
                + "it is kept — only the chain data paths are wiped, staking keys stay")
        } else {
            log("\(pod): warning: no PersistentVolumeClaim named *-\(pod) found in \(ns); the pod may not keep its data across the deletion")
        }
        let pre = monotonicSeconds()
        try await writeRequest(request, namespace: ns, pod: pod)
        log("\(pod): recovery request \(request.id) (\(request.mode.rawValue)\(request.from.map { " from \(Redact.url($0))" } ?? "")"
            + "\(request.snapshot.map { ", snapshot \($0)" } ?? "")) written to configmap \(ns)/\(Recovery.configMapName)")
        do {
            let r = try await roller.replace(ns: ns, sts: sts, pod: pod, uid: target.uid, options: options, logs: true) { _, gate in
                gate == .replaced || gate == .ready
                    ? "the request stays in configmap \(Recovery.configMapName) (the pod honours it once, when its init container runs); remove it with `kubectl -n \(ns) patch configmap \(Recovery.configMapName) --type merge -p '{\"data\":{\"\(pod)\":null}}'` to cancel"
                    : "the request was honoured and has been removed"
            }
            try await clearRequest(namespace: ns, pod: pod)
            log("\(pod): recovery request \(request.id) removed")
            return PodRollResult(pod: pod, seconds: r.seconds, gates: r.gates, precheckSeconds: monotonicSeconds() - pre - r.seconds)
        } catch {
            // Once the new pod runs, its init container has read (and recorded) the request: clear it.
            if let p = try? await kube.pod(namespace: ns, name: pod), p.uid != target.uid, p.phase == "Running" {
                try? await clearRequest(namespace: ns, pod: pod)
            }
            throw error
        }
    }
}


extension FleetRecoverer {
    /// `fleet recover`: with `dryRun` hands the plan (and whether it could start now) to `out`;
    /// else recovers the pod and logs how long it took.
    public func recoverCommand(_ sts: StatefulSet, pod: String, request: RecoveryRequest, options: RollOptions, force: Bool,
                               dryRun: Bool, out: (String) -> Void) async throws {
        if dryRun {
            let verdicts = try await roller.verdicts(sts, maxLag: options.maxLag)
            return FleetText.recoverPlan(sts, pod: pod, request: request, verdicts: verdicts, options: options, force: force).forEach(out)
        }
        let r = try await recover(sts, pod: pod, request: request, options: options, force: force)
        roller.log(String(format: "recovered %@/%@ in %.1f s", sts.metadata.namespace ?? "", pod, r.seconds))
    }
}
