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

    /// One node's answers.
    struct Row: Sendable {
        var url: String
        var healthy: Bool
        var height: UInt64?
        var syncing: Bool?
        var error: String?
    }

    static func probe(_ url: String, timeout: Double) async -> Row {
        let client = NodeClient(endpoints: NodeEndpoints(baseURL: url), timeout: timeout)
        var row = Row(url: url, healthy: await client.isHealthy())
        do {
            row.height = try await client.blockNumber()
            let s = try await client.syncing()
            row.syncing = !((s as? Bool) == false)
        } catch {
            row.error = "\(error)".split(separator: "\n").first.map(String.init)
        }
        return row
    }

    func run() async throws {
        let timeout = self.timeout
        let rows = await withTaskGroup(of: (Int, Row).self) { group in
            for (i, u) in urls.enumerated() { group.addTask { (i, await Self.probe(u, timeout: timeout)) } }
            var out = [Row?](repeating: nil, count: urls.count)
            for await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
        let top = rows.compactMap(\.height).max() ?? 0
        var bad = 0
        for r in rows {
            let lag = r.height.map { top - $0 }
            let ok = r.healthy && r.error == nil && r.syncing == false && (lag ?? .max) <= maxLag
            if !ok { bad += 1 }
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
        if bad > 0 {
            throw ChainsnapError(.rpc, "\(bad) of \(rows.count) nodes are unhealthy, syncing, unreachable or more than \(maxLag) blocks behind \(top)",
                                 hint: "wait for them to catch up before restarting another pod; check `kubectl logs` of the ones marked BAD")
        }
    }
}
