import ArgumentParser

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
