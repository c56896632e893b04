import ArgumentParser
import KubeManifests
import SnapshotCore

/// Options shared by the `chainsnap k8s …-job` commands; `job` is the library value they describe.
public struct K8sJobOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("The PersistentVolumeClaim holding the node's data.", valueName: "name"))
    public var pvc: String

    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from.", valueName: "url"))
    public var from: String?

    @Option(help: ArgumentHelp("Instead of --from: a Secret whose key 'url' holds the URL (a presigned URL is a credential), mounted into the Job.", valueName: "name"))
    public var fromSecret: String?

    @Option(name: [.customShort("n"), .long], help: "Namespace of the PVC and the Job (default: kubectl's current namespace).")
    public var namespace: String?

    @Option(help: ArgumentHelp("Snapshot id to restore (default: latest).", valueName: "id"))
    public var snapshot: String?

    @Option(help: "The chainsnap container image.")
    public var image: String = "ghcr.io/luxfi/chainsnap:\(toolVersion)"

    @Option(help: ArgumentHelp("Secret with the store credentials (keys access-key-id, secret-access-key), mounted as files.", valueName: "name"))
    public var credentialsSecret: String?

    @Option(help: ArgumentHelp("Where the PVC is mounted in the Job's pod.", valueName: "path"))
    public var mountPath: String = "/data"

    @Option(help: ArgumentHelp("Chain data folder on the PVC that the snapshot restores into.", valueName: "subpath"))
    public var subPath: String = "db"

    @Option(help: "Job name (default: derived from the PVC name).")
    public var name: String?

    @Option(name: .customLong("image-pull-secret"), help: ArgumentHelp("Secret of type kubernetes.io/dockerconfigjson for a private image (repeatable).", valueName: "name"))
    public var imagePullSecrets: [String] = []

    @Option(name: .customLong("node-selector"), help: ArgumentHelp("Node label the Job's pod must run on (repeatable), e.g. the node holding the volume.", valueName: "key=value"))
    public var nodeSelector: [String] = []

    @Option(help: ArgumentHelp("User id the container runs as (the node's user; default: the image's).", valueName: "uid"))
    public var runAsUser: Int?

    @Option(help: ArgumentHelp("Group id the container runs as.", valueName: "gid"))
    public var runAsGroup: Int?

    @Option(help: ArgumentHelp("Pod fsGroup: the volume's files are made writable for this group (the chart uses 1000).", valueName: "gid"))
    public var fsGroup: Int?

    @OptionGroup(title: "Store options (passed on to chainsnap in the Job; paths are the pod's)")
    public var store: StoreFlags

    public init() {}

    public func validate() throws {
        _ = try asUsageError { try RestoreJobSource.choose(url: from, secret: fromSecret) }
        if store.credentialsDir != nil {
            throw ValidationError("--credentials-dir is a folder on this machine; for a Job pass --credentials-secret NAME (mounted as files)")
        }
        if store.profile != nil {
            throw ValidationError("--profile names an AWS profile on this machine, which the Job's pod does not have; pass --credentials-secret NAME")
        }
        _ = try asUsageError { try KeyValueOption.parse(nodeSelector, flag: "--node-selector", allowEmptyValue: false) }
        try asUsageError(job.validate)
    }

    /// The Job's settings as a library value.
    public var job: PVCJob {
        var j = PVCJob(pvc: pvc, source: fromSecret.map { .secret(name: $0) } ?? .url(from ?? ""), namespace: namespace, snapshot: snapshot,
                       image: image, credentialsSecret: credentialsSecret, mountPath: mountPath, subPath: subPath, name: name,
                       storeArguments: store.arguments)
        j.imagePullSecrets = imagePullSecrets
        j.nodeSelector = (try? KeyValueOption.parse(nodeSelector, flag: "--node-selector", allowEmptyValue: false)) ?? [:]
        j.runAsUser = runAsUser
        j.runAsGroup = runAsGroup
        j.fsGroup = fsGroup
        return j
    }
}
