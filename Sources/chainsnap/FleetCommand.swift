import ArgumentParser
import RestoreCore
import Fleet
import Foundation
import KubeClient
import Snapshots

/// `chainsnap fleet …`: run a network's pods through the Kubernetes API (no kubectl).
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "See, roll and recover a network's pods through the Kubernetes API.",
        discussion: """
            The cluster comes from --kubeconfig, else $KUBECONFIG, else the pod's service account \
            (KUBERNETES_SERVICE_HOST), else ~/.kube/config; --context picks a context and -n a \
            namespace (default: the context's). Nodes are reached through the API server's pod \
            proxy, so no port-forward is needed. A network is one StatefulSet.
            """,
        subcommands: [FleetStatusCommand.self, FleetRollCommand.self, FleetRecoverCommand.self, FleetDeployCommand.self, FleetScaleCommand.self]
    )
}

/// Which cluster and credentials: the kubeconfig (or the pod's service account) and its context.
struct KubeAccessOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kubeconfig file (default: $KUBECONFIG, the pod's service account, ~/.kube/config).", valueName: "file"))
    var kubeconfig: String?
    @Option(help: ArgumentHelp("Kubeconfig context (default: its current-context).", valueName: "name"))
    var context: String?
    @Option(help: ArgumentHelp("Seconds per API request.", valueName: "seconds"))
    var requestTimeout: Double = 15

    func validate() throws {
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
    }

    func client(namespace: String?) throws -> KubeClient {
        let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: kubeconfig, context: context, namespace: namespace))
        return KubeClient(connection: conn, timeout: requestTimeout)
    }
}

/// Which cluster, and how to reach the nodes in it.
struct FleetClusterOptions: ParsableArguments {
    @OptionGroup var access: KubeAccessOptions
    @Option(help: ArgumentHelp("Node RPC port (default: the pod's container port named http).", valueName: "port"))
    var rpcPort: Int?
    @Flag(help: "geth-style nodes: JSON-RPC at /, no /ext/health (healthy = answers and not syncing).")
    var geth = false
    @Option(name: .customLong("chain"), help: ArgumentHelp("Chain alias whose height to show (repeatable; default: the pods' --alias arguments).", valueName: "alias"))
    var chains: [String] = []

    var requestTimeout: Double { access.requestTimeout }

    func validate() throws {
        if let rpcPort, !(1...65535).contains(rpcPort) { throw ValidationError("--rpc-port must be between 1 and 65535") }
    }

    func client(namespace: String?) throws -> KubeClient { try access.client(namespace: namespace) }

    /// The roller (and through it the probe and the client) for the cluster and `namespace`.
    func roller(namespace: String?) throws -> FleetRoller {
        let access = NodeAccess(rpcPort: rpcPort, geth: geth, chains: chains.isEmpty ? nil : chains, timeout: min(requestTimeout, 10))
        return FleetRoller(probe: NodeProbe(kube: try client(namespace: namespace), access: access), log: fleetLog)
    }
}

/// The gates' settings shared by roll and recover.
struct FleetGateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Blocks a pod may be behind the highest pod of its network.", valueName: "n"))
    var maxLag: UInt64 = 10
    @Option(help: ArgumentHelp("Seconds a replaced pod (roll, recover) or a network's pods (deploy, scale) have to pass every gate (Ready, healthy, within --max-lag, advancing).", valueName: "seconds"))
    var podTimeout: Double = 1800
    @Option(help: ArgumentHelp("Seconds between polls of the pods.", valueName: "seconds"))
    var interval: Double = 2

    func validate() throws {
        guard podTimeout > 0, interval > 0 else { throw ValidationError("--pod-timeout and --interval must be positive") }
    }

    func rollOptions(fromPod: String? = nil) -> RollOptions {
        RollOptions(maxLag: maxLag, podTimeout: podTimeout, interval: interval, fromPod: fromPod)
    }
}

/// The network `fleet roll` and `fleet recover` act on, their gates and their cluster.
struct FleetNetworkOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (default: the context's).", valueName: "ns"))
    var namespace: String?
    @Option(help: ArgumentHelp("The network's StatefulSet.", valueName: "name"))
    var statefulset = "luxd"
    @Flag(help: "Print the plan and whether it could start now; change nothing.")
    var dryRun = false
    @OptionGroup(title: "Gates")
    var gates: FleetGateOptions
    @OptionGroup(title: "Cluster")
    var cluster: FleetClusterOptions

    /// The roller and the StatefulSet (its namespace: -n, else the context's).
    func resolve() async throws -> (FleetRoller, StatefulSet) {
        let roller = try cluster.roller(namespace: namespace)
        return (roller, try await roller.statefulSet(namespace: namespace ?? roller.probe.kube.defaultNamespace, name: statefulset))
    }
}

/// Progress lines on stderr, with the time of day.
let fleetLog: @Sendable (String) -> Void = { writeStderr("\(FleetText.clock(Date())) \($0)\n") }
