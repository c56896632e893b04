import ArgumentParser
import CommandOptions
import Fleet
import Foundation

/// `chainsnap fleet status`: one row per pod — phase, Ready, health, height, lag, sync, chains, marker, image.
struct FleetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every pod of one or more networks: phase, health, height, lag, sync state, restore marker.",
        discussion: """
            Example: chainsnap fleet status -n lux-mainnet -n lux-testnet --max-lag 10
            Lag is counted against the highest pod of the same StatefulSet. Exit 0 when every pod \
            is Ready, healthy, not syncing and within --max-lag; 1 otherwise.
            """
    )

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Namespace (repeatable; default: the context's).", valueName: "ns"))
    var namespace: [String] = []
    @Flag(help: "Every namespace the credentials can list StatefulSets in.")
    var allNamespaces = false
    @Option(help: ArgumentHelp("Only this StatefulSet (default: every StatefulSet in the namespace).", valueName: "name"))
    var statefulset: String?
    @Option(help: ArgumentHelp("Blocks a pod may be behind the highest pod of its network.", valueName: "n"))
    var maxLag: UInt64 = 10
    @Flag(help: "One JSON object per pod per line instead of a table.")
    var json = false
    @Flag(help: "Refresh every --interval seconds until interrupted.")
    var watch = false
    @Option(help: ArgumentHelp("Seconds between refreshes with --watch.", valueName: "seconds"))
    var interval: Double = 5
    @OptionGroup(title: "Cluster")
    var cluster: FleetClusterOptions

    func validate() throws {
        if allNamespaces && !namespace.isEmpty { throw ValidationError("give -n or --all-namespaces, not both") }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            let roller = try cluster.roller(namespace: namespace.first)
            // Written unbuffered, so --watch shows each refresh at once through a pipe.
            try await FleetStatus(namespaces: namespace, allNamespaces: allNamespaces, statefulSet: statefulset, maxLag: maxLag)
                .run(roller, json: json, watch: watch, interval: interval, write: { FileHandle.standardOutput.write(Data($0.utf8)) })
        }
    }
}
