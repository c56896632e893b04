import Foundation
import SnapshotCore

extension NodeHeightCheck {
    /// `node status --json`: one line per node with url, healthy, ok and what it answered
    /// (height and lag, syncing, error), keys sorted.
    public func jsonLine(_ r: NodeProbe) throws -> String {
        var obj: [String: Any] = ["url": r.url, "healthy": r.healthy, "ok": isOK(r)]
        if let h = r.height { obj["height"] = h; obj["lag"] = lag(r) ?? 0 }
        if let s = r.syncing { obj["syncing"] = s }
        if let e = r.error { obj["error"] = e }
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `node status`: `ok  ` or `BAD `, the url, health, height, lag and sync state (or the error).
    public func tableLine(_ r: NodeProbe) -> String {
        let height = r.height.map(String.init) ?? "-"
        let state = r.error.map { "error: \($0)" } ?? (r.syncing == true ? "syncing" : "synced")
        return "\(isOK(r) ? "ok  " : "BAD ") \(r.url)  healthy=\(r.healthy)  height=\(height)  lag=\(lag(r).map(String.init) ?? "-")  \(state)"
    }

    /// The error `node status` ends with when any node fails (nil when every node passes).
    public var failure: ChainsnapError? {
        guard failures > 0 else { return nil }
        return ChainsnapError(.rpc, "\(failures) of \(probes.count) nodes are unhealthy, syncing, unreachable or more than \(maxLag) blocks behind \(top)",
                              hint: "wait for them to catch up before restarting another pod; check `kubectl logs` of the ones marked BAD")
    }
}
