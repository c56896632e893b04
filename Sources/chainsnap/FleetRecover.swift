import ArgumentParser
import CommandOptions
import Fleet

/// `chainsnap fleet recover`: re-import or restore one pod, and only that pod.
struct FleetRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Wipe one pod's chain data and restore or re-import it; no other pod is touched.",
        discussion: """
            Writes a one-shot request for POD into ConfigMap chainsnap-recovery (key = pod name), \
            deletes the pod, follows its init container's restore, waits for the same gates as \
            `fleet roll`, then removes the request. The pod's init container (node prepare-data \
            --recovery-dir) honours the request once: it removes only the chain data paths (never \
            staking keys), then restores (--from/--snapshot; default: the chart's initMode.from) or, \
            with --rlp, leaves the chain empty for the supervisor's RLP import.
            Refuses when the other pods are fewer than the network's quorum (n − ⌊(n−1)/3⌋), unless --force.
            Example: chainsnap fleet recover -n lux-mainnet luxd-2 --snapshot 20261201T033000Z-ab12
            """
    )

    @Argument(help: ArgumentHelp("The pod to recover (e.g. luxd-2).", valueName: "pod"))
    var pod: String
    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from (default: the chart's initMode.from).", valueName: "url"))
    var from: String?
    @Option(help: ArgumentHelp("Snapshot id to restore; `latest` restores the newest from the chart's initMode.from.", valueName: "id"))
    var snapshot: String?
    @Flag(help: "Re-import from the RLP bundle instead of restoring (needs the chart's rlpImport).")
    var rlp = false
    @Flag(help: "Recover even when the other pods are fewer than the network's quorum.")
    var force = false
    @OptionGroup var network: FleetNetworkOptions

    func validate() throws {
        guard [from != nil || snapshot != nil, rlp].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --from URL, --snapshot ID (restore) or --rlp (re-import)")
        }
        if let from, let problem = RecoveryRequest.sourceProblem(from) { throw ValidationError(problem) }
    }

    func run() async throws {
        try await reportingErrors {
            let (roller, sts) = try await network.resolve()
            let request = RecoveryRequest.make(mode: rlp ? .rlp : .restore, from: from, snapshot: snapshot)
            try await FleetRecoverer(roller: roller).recoverCommand(sts, pod: pod, request: request, options: network.gates.rollOptions(),
                                                                    force: force, dryRun: network.dryRun, out: { print($0) })
        }
    }
}
