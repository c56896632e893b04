import ArgumentParser
import CommandOptions
import KubeManifests

/// `chainsnap k8s restore-job`: a Job that restores a snapshot into an existing PVC.
struct K8sRestoreJobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore-job",
        abstract: "Print a Job that restores a snapshot (or archive) into an existing PVC.",
        discussion: """
            Example: chainsnap k8s restore-job --pvc data-luxd-0 --from s3://snapshots/lux-mainnet \
            --namespace lux-mainnet --credentials-secret snapshot-store | kubectl apply -f -
            """
    )

    @OptionGroup var options: K8sJobOptions

    @Flag(help: "Let the restore replace existing data in the target folder.")
    var force = false

    func run() async throws {
        print(RestoreJob(job: options.job, force: force).yaml, terminator: "")
    }
}

/// `chainsnap k8s reimport-job`: a Job that clears a PVC's chain data and restores it.
struct K8sReimportJobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reimport-job",
        abstract: "Print a Job that clears a PVC's chain data (never staking keys) and restores it, after state corruption.",
        discussion: """
            Runs `chainsnap node prepare-data --clear-data`: only the --chain-data folders are removed.
            Example: chainsnap k8s reimport-job --pvc data-luxd-2 --from s3://snapshots/lux-mainnet \
            --namespace lux-mainnet --credentials-secret snapshot-store | kubectl apply -f -
            """
    )

    @OptionGroup var options: K8sJobOptions

    @Option(name: .customLong("chain-data"), help: ArgumentHelp("Chain data folder on the PVC to clear (repeatable; default: the --sub-path folder).", valueName: "subpath"))
    var chainData: [String] = []

    var job: ReimportJob { ReimportJob(job: options.job, chainData: chainData) }

    func validate() throws {
        try asUsageError(job.validate)
    }

    func run() async throws {
        print(job.yaml, terminator: "")
    }
}
