import ArgumentParser
import CommandOptions
import Fleet

/// `chainsnap fleet roll`: the zero-downtime rolling restart of an OnDelete StatefulSet.
struct FleetRollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roll",
        abstract: "Restart a network's pods one at a time, each behind health and height gates.",
        discussion: """
            Before deleting a pod every other pod must be Ready, healthy and within --max-lag of \
            the highest (a network never loses two validators at once). After the deletion the \
            replacement (a new UID) must be Ready, /ext/health healthy, within --max-lag of its \
            peers and still advancing before the next pod goes. The roll stops at the first pod \
            that fails a gate (exit 1) and says how to resume with --from-pod.
            Example: chainsnap fleet roll -n lux-mainnet --max-lag 10 --pod-timeout 3600
            """
    )

    @Option(help: ArgumentHelp("Start at this pod (resume a stopped roll); earlier pods are left alone.", valueName: "pod"))
    var fromPod: String?
    @OptionGroup var network: FleetNetworkOptions

    func run() async throws {
        try await reportingErrors {
            let (roller, sts) = try await network.resolve()
            try await roller.rollCommand(sts, options: network.gates.rollOptions(fromPod: fromPod), dryRun: network.dryRun, out: { print($0) })
        }
    }
}
