import ArgumentParser
import Fleet
import Foundation
import KubeClient
import RestoreCore

/// Which cluster and credentials: the kubeconfig (or the pod's service account) and its context.
public struct KubeAccessOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Kubeconfig file (default: $KUBECONFIG, the pod's service account, ~/.kube/config).", valueName: "file"))
    public var kubeconfig: String?
    @Option(help: ArgumentHelp("Kubeconfig context (default: its current-context).", valueName: "name"))
    public var context: String?
    @Option(help: ArgumentHelp("Seconds per API request.", valueName: "seconds"))
    public var requestTimeout: Double = 15

    public init() {}

    public func validate() throws {
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
    }

    public func client(namespace: String?) throws -> KubeClient {
        let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: kubeconfig, context: context, namespace: namespace))
        return KubeClient(connection: conn, timeout: requestTimeout)
    }
}

/// Which cluster, and how to reach the nodes in it.
public struct FleetClusterOptions: ParsableArguments, Sendable {
    @OptionGroup public var access: KubeAccessOptions
    @Option(help: ArgumentHelp("Node RPC port (default: the pod's container port named http).", valueName: "port"))
    public var rpcPort: Int?
    @Flag(help: "geth-style nodes: JSON-RPC at /, no /ext/health (healthy = answers and not syncing).")
    public var geth = false
    @Option(name: .customLong("chain"), help: ArgumentHelp("Chain alias whose height to show (repeatable; default: the pods' --alias arguments).", valueName: "alias"))
    public var chains: [String] = []

    public init() {}

    public var requestTimeout: Double { access.requestTimeout }

    public func validate() throws { try checkPort("--rpc-port", rpcPort) }

    public func client(namespace: String?) throws -> KubeClient { try access.client(namespace: namespace) }

    /// How the nodes are reached: the port, geth or luxd paths, the chains, a request timeout of at most 10 s.
    public var nodeAccess: NodeAccess {
        NodeAccess(rpcPort: rpcPort, geth: geth, chains: chains.isEmpty ? nil : chains, timeout: min(requestTimeout, 10))
    }

    /// The roller (and through it the probe and the client) for the cluster and `namespace`.
    public func roller(namespace: String?) throws -> FleetRoller {
        FleetRoller(probe: NodeProbe(kube: try client(namespace: namespace), access: nodeAccess), log: fleetLog)
    }
}

/// The gates' settings shared by roll and recover (and deploy and scale, which wait behind them).
public struct FleetGateOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Blocks a pod may be behind the highest pod of its network.", valueName: "n"))
    public var maxLag: UInt64 = 10
    @Option(help: ArgumentHelp("Seconds a replaced pod (roll, recover) or a network's pods (deploy, scale) have to pass every gate (Ready, healthy, within --max-lag, advancing).", valueName: "seconds"))
    public var podTimeout: Double = 1800
    @Option(help: ArgumentHelp("Seconds between polls of the pods.", valueName: "seconds"))
    public var interval: Double = 2

    public init() {}

    public func validate() throws {
        guard podTimeout > 0, interval > 0 else { throw ValidationError("--pod-timeout and --interval must be positive") }
    }

    public func rollOptions(fromPod: String? = nil) -> RollOptions {
        RollOptions(maxLag: maxLag, podTimeout: podTimeout, interval: interval, fromPod: fromPod)
    }
}

/// The network `fleet roll` and `fleet recover` act on, their gates and their cluster.
public struct FleetNetworkOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (default: the context's).", valueName: "ns"))
    public var namespace: String?
    @Option(help: ArgumentHelp("The network's StatefulSet.", valueName: "name"))
    public var statefulset = "luxd"
    @Flag(help: "Print the plan and whether it could start now; change nothing.")
    public var dryRun = false
    @OptionGroup(title: "Gates")
    public var gates: FleetGateOptions
    @OptionGroup(title: "Cluster")
    public var cluster: FleetClusterOptions

    public init() {}

    /// The roller and the StatefulSet (its namespace: -n, else the context's).
    public func resolve() async throws -> (FleetRoller, StatefulSet) {
        let roller = try cluster.roller(namespace: namespace)
        return (roller, try await roller.statefulSet(namespace: namespace ?? roller.probe.kube.defaultNamespace, name: statefulset))
    }
}

/// Progress lines on stderr, with the time of day.
public let fleetLog: @Sendable (String) -> Void = { writeStderr("\(FleetText.clock(Date())) \($0)\n") }
