import ArgumentParser
import KubeManifests

/// Options shared by the `chainsnap k8s …-job` commands; `job` is the library value they describe.
struct K8sJobOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The PersistentVolumeClaim holding the node's data.", valueName: "name"))
    var pvc: String

    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from.", valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("Instead of --from: a Secret whose key 'url' holds the URL (a presigned URL is a credential), mounted into the Job.", valueName: "name"))
    var fromSecret: String?

    @Option(help: "Namespace of the PVC and the Job (default: kubectl's current namespace).")
    var namespace: String?

    @Option(help: ArgumentHelp("Snapshot id to restore (default: latest).", valueName: "id"))
    var snapshot: String?

    @Option(help: "The chainsnap container image.")
    var image: String = "ghcr.io/luxfi/chainsnap:\(Chainsnap.version)"

    @Option(help: ArgumentHelp("Secret with the store credentials (keys access-key-id, secret-access-key), mounted as files.", valueName: "name"))
    var credentialsSecret: String?

    @Option(help: ArgumentHelp("Where the PVC is mounted in the Job's pod.", valueName: "path"))
    var mountPath: String = "/data"

    @Option(help: ArgumentHelp("Chain data folder on the PVC that the snapshot restores into.", valueName: "subpath"))
    var subPath: String = "db"

    @Option(help: "Job name (default: derived from the PVC name).")
    var name: String?

    @OptionGroup(title: "Store options (passed on to chainsnap in the Job; paths are the pod's)")
    var store: StoreFlags

    func validate() throws {
        switch (from, fromSecret) {
        case (nil, nil): throw ValidationError("give --from URL, or --from-secret NAME (a Secret whose key 'url' holds it)")
        case (.some, .some): throw ValidationError("give either --from or --from-secret, not both")
        default: break
        }
        if store.credentialsDir != nil {
            throw ValidationError("--credentials-dir is a folder on this machine; for a Job pass --credentials-secret NAME (mounted as files)")
        }
        if store.profile != nil {
            throw ValidationError("--profile names an AWS profile on this machine, which the Job's pod does not have; pass --credentials-secret NAME")
        }
        try asUsageError(job.validate)
    }

    /// The Job's settings as a library value.
    var job: PVCJob {
        PVCJob(pvc: pvc, source: fromSecret.map { .secret(name: $0) } ?? .url(from ?? ""), namespace: namespace, snapshot: snapshot,
               image: image, credentialsSecret: credentialsSecret, mountPath: mountPath, subPath: subPath, name: name,
               storeArguments: store.arguments)
    }
}
