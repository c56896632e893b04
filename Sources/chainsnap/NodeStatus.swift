import ArgumentParser
import CommandOptions
import NodeRPC

/// `chainsnap node status --rpc URL [--rpc URL…]`: health, height and sync phase of each node,
/// and how far each is behind the highest — the check before rolling the next pod.
struct NodeStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show health, block height and sync state of one or more nodes; fail when one is down or behind.",
        discussion: """
            Example (from a pod): chainsnap node status --rpc http://luxd-0.luxd-headless:9630 --rpc http://luxd-1.luxd-headless:9630 --max-lag 10
            Exit 0 when every node is healthy, not syncing and within --max-lag blocks of the highest; 1 otherwise.
            """
    )

    @Option(name: .customLong("rpc"), help: ArgumentHelp("A node's HTTP base URL (repeatable).", valueName: "url"))
    var urls: [String] = []

    @Option(help: ArgumentHelp("Blocks a node may be behind the highest one.", valueName: "n"))
    var maxLag: UInt64 = 10

    @Option(help: ArgumentHelp("Seconds per request.", valueName: "seconds"))
    var timeout: Double = 10

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        guard !urls.isEmpty else { throw ValidationError("give at least one --rpc URL, e.g. --rpc http://127.0.0.1:9650") }
        for u in urls { try checkHTTPURL("--rpc", u) }
    }

    func run() async throws {
        let check = NodeHeightCheck(probes: await NodeProbe.probeAll(urls, timeout: timeout), maxLag: maxLag)
        for r in check.probes { print(json ? try check.jsonLine(r) : check.tableLine(r)) }
        if let failure = check.failure { throw failure }
    }
}
