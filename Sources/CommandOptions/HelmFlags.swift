import ArgumentParser
import Fleet
import FleetDeploy
import Foundation
import KubeClient
import RestoreCore
import SnapshotCore

/// Options every helm-driving fleet command shares: where helm is and which cluster it talks to.
public struct HelmFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("The helm program (default: helm on PATH; Helm 3 or 4).", valueName: "path"))
    public var helm: String?
    @Option(help: ArgumentHelp("Kubeconfig file for helm (default: $KUBECONFIG, else ~/.kube/config).", valueName: "file"))
    public var kubeconfig: String?
    @Option(help: ArgumentHelp("Kubeconfig context for helm.", valueName: "name"))
    public var context: String?

    public init() {}

    /// helm for a live run (required) or a dry run (when there is one).
    public func resolved(dryRun: Bool) throws -> Helm? {
        try Helm.forCommand(explicit: helm, kubeconfig: kubeconfig, context: context, required: !dryRun)
    }
}

/// The `fleet status` gates for `fleet deploy` and `fleet scale` (FleetDeploy's waiter and
/// roller): `FleetRoller.waitForNetwork`, and `fleet roll`'s roll for `--roll`.
struct KubeGateAdapter: FleetWaiter, FleetDeploy.FleetRoller {
    let roller: Fleet.FleetRoller
    let options: RollOptions

    func waitForNetwork(namespace: String, statefulSet: String, replicas: Int) async throws {
        try await roller.waitForNetwork(namespace: namespace, statefulSet: statefulSet, replicas: replicas, options: options)
    }

    func rollNetwork(namespace: String, statefulSet: String) async throws {
        _ = try await roller.roll(try await roller.statefulSet(namespace: namespace, name: statefulSet), options: options)
    }
}

/// The gates for the cluster helm talks to (`--kubeconfig`, `--context`, else $KUBECONFIG, the
/// pod's service account, ~/.kube/config). Without Kubernetes API access both are nil and the
/// commands say they cannot wait.
public func fleetGates(_ helm: HelmFlags, _ gates: FleetGateOptions) -> (waiter: (any FleetWaiter)?, roller: (any FleetDeploy.FleetRoller)?) {
    do {
        let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: helm.kubeconfig, context: helm.context, namespace: nil))
        let probe = NodeProbe(kube: KubeClient(connection: conn, timeout: 15), access: NodeAccess())
        let adapter = KubeGateAdapter(roller: Fleet.FleetRoller(probe: probe, log: fleetLog), options: gates.rollOptions())
        return (adapter, adapter)
    } catch {
        writeStderr("fleet: no Kubernetes API access from here (\((error as? ChainsnapError)?.message ?? "\(error)")); helm runs, but the pods cannot be waited for\n")
        return (nil, nil)
    }
}
