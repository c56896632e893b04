import ArgumentParser

/// `chainsnap k8s …`: print Kubernetes manifests for one-off jobs.
struct K8sCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Print Kubernetes Job manifests for common one-off tasks; take VolumeSnapshots of a node's PVC.",
        discussion: "Pipe the output to `kubectl apply -f -`. Credentials come from a Secret reference, never from arguments.",
        subcommands: [K8sRestoreJobCommand.self, K8sReimportJobCommand.self, K8sVolumeSnapshotCommand.self]
    )
}
