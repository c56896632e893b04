import Fleet
import Foundation
import KubeClient
import SnapshotCore

/// The `fleet status` gates for `fleet deploy` and `fleet scale`: wait until a network's
/// StatefulSet has its replicas and every pod is Ready, healthy and within the lag of its peers;
/// `--roll` replaces the pods one at a time with `fleet roll`'s roller. (FleetGates.swift makes
/// it the FleetDeploy module's waiter and roller.)
final class KubeGateAdapter: Sendable {
    let probe: NodeProbe
    let options: RollOptions

    init(kube: KubeClient, options: RollOptions) {
        self.probe = NodeProbe(kube: kube, access: NodeAccess(rpcPort: nil, geth: false, chains: nil, timeout: 10))
        self.options = options
    }

    func waitForNetwork(namespace: String, statefulSet: String, replicas: Int) async throws {
        let roller = FleetRoller(probe: probe, log: fleetLog)
        let deadline = Date().addingTimeInterval(options.podTimeout)
        var last = ""
        while true {
            let sts = try await roller.statefulSet(namespace: namespace, name: statefulSet)
            let verdicts = try await roller.verdicts(sts, maxLag: options.maxLag)
            let bad = verdicts.filter { !$0.ok }
            if verdicts.count >= replicas && bad.isEmpty { return }
            let seen = verdicts.count < replicas ? "\(verdicts.count) of \(replicas) pods exist"
                : bad.map { "\($0.sample.pod): \($0.problem ?? "not ok")" }.joined(separator: ", ")
            if seen != last { fleetLog("\(namespace): waiting: \(seen)"); last = seen }
            guard Date() < deadline else {
                throw ChainsnapError(.rpc, "\(namespace)/\(statefulSet) did not pass the gates within \(Int(options.podTimeout)) s: \(seen)",
                                     object: "\(namespace)/\(statefulSet)",
                                     hint: "look with `chainsnap fleet status -n \(namespace)`; fix the pod, then deploy the remaining networks again")
            }
            try await Task.sleep(nanoseconds: UInt64(options.interval * 1e9))
        }
    }

    func rollNetwork(namespace: String, statefulSet: String) async throws {
        let roller = FleetRoller(probe: probe, log: fleetLog)
        let sts = try await roller.statefulSet(namespace: namespace, name: statefulSet)
        _ = try await roller.roll(sts, options: options)
    }

    /// The adapter for the cluster helm talks to, or nil with the reason (no kubeconfig, no
    /// service account): the commands then say they cannot wait.
    static func make(kubeconfig: String?, context: String?) -> (KubeGateAdapter?, String?) {
        do {
            let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: kubeconfig, context: context, namespace: nil))
            return (KubeGateAdapter(kube: KubeClient(connection: conn, timeout: 15), options: RollOptions()), nil)
        } catch let e as ChainsnapError {
            return (nil, e.message)
        } catch {
            return (nil, "\(error)")
        }
    }
}
