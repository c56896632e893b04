import ArgumentParser
import Foundation
import NodeRPC
import SnapshotCore

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
        for u in urls where !(u.hasPrefix("http://") || u.hasPrefix("https://")) {
            throw ValidationError("--rpc '\(u)' must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        let check = NodeHeightCheck(probes: await NodeProbe.probeAll(urls, timeout: timeout), maxLag: maxLag)
        for r in check.probes {
            let lag = check.lag(r), ok = check.isOK(r)
            if json {
                var obj: [String: Any] = ["url": r.url, "healthy": r.healthy, "ok": ok]
                if let h = r.height { obj["height"] = h; obj["lag"] = lag ?? 0 }
                if let s = r.syncing { obj["syncing"] = s }
                if let e = r.error { obj["error"] = e }
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let height = r.height.map(String.init) ?? "-"
                let state = r.error.map { "error: \($0)" } ?? (r.syncing == true ? "syncing" : "synced")
                print("\(ok ? "ok  " : "BAD ") \(r.url)  healthy=\(r.healthy)  height=\(height)  lag=\(lag.map(String.init) ?? "-")  \(state)")
            }
        }
        if check.failures > 0 {
            throw ChainsnapError(.rpc, "\(check.failures) of \(check.probes.count) nodes are unhealthy, syncing, unreachable or more than \(maxLag) blocks behind \(check.top)",
                                 hint: "wait for them to catch up before restarting another pod; check `kubectl logs` of the ones marked BAD")
        }
    }
}
