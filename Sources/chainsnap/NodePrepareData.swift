import ArgumentParser
import CommandOptions
import Fleet
import Foundation
import NodeData
import NodeRPC
import Transfer

/// `chainsnap node prepare-data`: the init container's decision — restore, leave alone, or
/// (only when told) wipe the chain data and restore. The decision is `PrepareDataPlan`, carried
/// out by `PrepareDataRun` (NodeData); this command reads the flags and the recovery request.
struct NodePrepareDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-data",
        abstract: "Prepare a node's data volume before the node starts (the chart's init container).",
        discussion: """
            Restores the snapshot into DATA-DIR/RESTORE-PATH when that folder is empty, does \
            nothing when its restore marker (.chainsnap-restore.json) says it was restored, and \
            leaves data it did not restore alone. With --clear-data it first removes the listed \
            --chain-data paths (and nothing else: the --protect paths, staking keys by default, \
            can never be listed), then restores. It prints what it decided and why. Without \
            --from/--from-file nothing is restored. With --recovery-dir, a one-shot request for \
            this pod (`fleet recover`) decides first: clear the chain data, then restore (or leave \
            it to the RLP import), under the same lock and once per request.
            The restore itself is `chainsnap snapshot restore --from URL [--snapshot ID] DIR`.
            """
    )

    @Option(help: ArgumentHelp("The node's data folder (the PVC mount).", valueName: "dir"))
    var dataDir: String
    @Option(name: .customLong("chain-data"), help: ArgumentHelp("Chain data path under --data-dir (repeatable); the only paths --clear-data removes.", valueName: "subpath"))
    var chainData: [String] = []
    @Option(help: ArgumentHelp("Which --chain-data path the snapshot restores into (default: the first).", valueName: "subpath"))
    var restorePath: String?
    @Option(name: .customLong("protect"), help: ArgumentHelp("Path under --data-dir that must never be cleared (repeatable).", valueName: "subpath"))
    var protected: [String] = ["staking"]
    @Flag(help: "Remove the --chain-data paths, then restore. Staking keys and every other path are kept.")
    var clearData = false
    @Option(help: ArgumentHelp("With --clear-data: clear only once per token (recorded in DATA-DIR/\(DataLayout.clearDataTokenName)), so a pod recreated later does not wipe again.", valueName: "token"))
    var clearDataToken: String?
    @Option(help: ArgumentHelp("Wait up to this many seconds for another chainsnap run holding the restore target (default: refuse at once).", valueName: "seconds"))
    var waitLock: Double?
    @Option(help: ArgumentHelp("Folder of the mounted staking Secret (keys POD.staker.crt, POD.staker.key, optional POD.signer.key): refuse to start when the volume's staking files differ from them.", valueName: "dir"))
    var stakingSecretDir: String?
    @Option(help: ArgumentHelp("Pod whose staking files to check (default: the first label of HOSTNAME).", valueName: "name"))
    var stakingPod: String?
    @Option(help: ArgumentHelp("The staking folder under --data-dir that luxd used before (compared with --staking-secret-dir).", valueName: "subpath"))
    var stakingDir: String = "staking"
    @OptionGroup(title: "What to restore (passed on to `snapshot restore`)")
    var request: RestoreRequestFlags
    @OptionGroup(title: "Network check (passed on to `snapshot restore`)")
    var networkCheck: NetworkCheckFlags
    @Flag(help: "Print the decision and the restore command without changing anything.")
    var dryRun = false
    @Option(help: ArgumentHelp("Folder of one-shot recovery requests (the mounted ConfigMap chainsnap-recovery, written by `fleet recover`); only the key equal to this pod's name counts, once.", valueName: "dir"))
    var recoveryDir: String?
    @Option(help: ArgumentHelp("This pod's name for --recovery-dir (default: $HOSTNAME).", valueName: "name"))
    var podName: String?
    @OptionGroup(title: "Store options (passed on to `snapshot restore`)")
    var store: StoreFlags
    @OptionGroup(title: "Metrics (the restore's, or the decision's when nothing is restored)")
    var metrics: RestoreMetricsFlags

    func layout() throws -> DataLayout {
        try DataLayout(dataDir: dataDir, chainData: chainData, restorePath: restorePath, protected: protected)
    }

    func validate() throws {
        _ = try asUsageError(layout)
        if clearDataToken != nil && !clearData {
            throw ValidationError("--clear-data-token only applies with --clear-data")
        }
        if stakingSecretDir == nil && stakingPod != nil {
            throw ValidationError("--staking-pod only applies with --staking-secret-dir")
        }
        if clearData && !request.source.isGiven {
            throw ValidationError("--clear-data needs --from: clearing without a restore would leave an empty node")
        }
    }

    func run() async throws {
        let layout = try layout()
        var executor = PrepareDataExecutor(layout: layout, dryRun: dryRun, log: { logLine("prepare-data: \($0)") })
        executor.lockWait = waitLock ?? 0
        executor.lockWhat = "node prepare-data" + (request.source.from.map { " from " + Redact.url($0) } ?? "")
        executor.recordRecovery = { [dataDir] in try Recovery.record($0, $1, dataDir: dataDir) }
        if let stakingSecretDir {
            try await reportingErrors { try checkStaking(secretDir: stakingSecretDir, log: executor.log) }
        }
        // A one-shot recovery request for this pod (`fleet recover`) is the plan's first input, and may name the source.
        let (recovery, input, line) = recoveryDir.map {
            Recovery.input(dir: $0, dataDir: dataDir, pod: podName ?? ProcessInfo.processInfo.environment["HOSTNAME"] ?? "")
        } ?? (nil, nil, nil)
        line.map { executor.log($0) }
        let request = request.applying(recovery)
        let run = PrepareDataRun(sourceGiven: request.source.isGiven, snapshot: request.snapshot, clearData: clearData,
                                 clearDataToken: clearDataToken, recovery: input,
                                 call: request.call(network: networkCheck, store: store, metrics: metrics))
        try await reportingErrors {
            try await run.run(executor, decided: { metrics.decided(target: layout.target, error: $0) })
        }
    }

    /// Refuses a volume whose staking files differ from the pod's Secret (names only in the log).
    func checkStaking(secretDir: String, log: (String) -> Void) throws {
        let pod = stakingPod ?? SupervisorPeers.selfHost ?? ""
        let check = StakingIdentityCheck(secretDir: secretDir, pod: pod, volumeDir: "\(dataDir)/\(stakingDir)")
        log("staking identity of \(pod): \(try check.run().summary) (luxd reads them from \(secretDir))")
    }
}
