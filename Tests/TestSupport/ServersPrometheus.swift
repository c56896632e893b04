import Foundation
import Testing

/// Prometheus' own tools for the monitoring tests (Debian `prometheus`, `prometheus-pushgateway`):
/// servers on 127.0.0.1 with free ports and temp data folders, stopped when released.
public enum Promtool {
    public static let tools = ["promtool"]

    /// `promtool check metrics` on `text` (stdin): status 0 and no lint output when it is clean.
    public static func checkMetrics(_ text: String) throws -> RunResult {
        try run(Servers.need("promtool", package: "prometheus"), ["check", "metrics"], stdin: text)
    }
}

/// A Prometheus server scraping `targets` (host:port) every second as job `job`.
public final class PrometheusServer: @unchecked Sendable {
    public let port: Int
    let proc: ManagedProcess
    let dir = TempDir("prometheus")

    public init(job: String, targets: [String], ruleFiles: [String] = []) throws {
        let bin = try Servers.need("prometheus", package: "prometheus")
        port = Servers.freePort()
        let targetList = targets.map { "\"\($0)\"" }.joined(separator: ", ")
        let rules = ruleFiles.isEmpty ? "" : "rule_files:\n" + ruleFiles.map { "  - \"\($0)\"\n" }.joined()
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            \(rules)scrape_configs:
              - job_name: \(job)
                static_configs:
                  - targets: [\(targetList)]

            """
        try config.write(toFile: dir.sub("prometheus.yml"), atomically: true, encoding: .utf8)
        proc = try ManagedProcess(bin, ["--config.file=" + dir.sub("prometheus.yml"), "--storage.tsdb.path=" + dir.sub("data"),
                                        "--web.listen-address=127.0.0.1:\(port)"],
                                  logPath: dir.sub("prometheus.log"), killImmediately: true)
        try Servers.wait(for: "prometheus", timeout: 30, process: proc) { Servers.httpGet(port: port, path: "/-/ready")?.status == 200 }
    }

    public func stop() { proc.stop() }
    public func logTail() -> String { proc.logTail() }

    /// An instant query through the HTTP API: each result's labels and value.
    public func query(_ q: String) throws -> [(labels: [String: String], value: Double)] {
        let enc = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
        guard let r = Servers.httpGet(port: port, path: "/api/v1/query?query=" + enc), r.status == 200,
              let obj = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw ServerError("prometheus query \(q) failed: \(proc.logTail())")
        }
        return result.compactMap { row in
            guard let m = row["metric"] as? [String: String], let v = row["value"] as? [Any], v.count == 2,
                  let s = v[1] as? String, let d = Double(s) else { return nil }
            return (m, d)
        }
    }

    /// Polls `q` until it has `count` results or `timeout` seconds pass.
    public func waitFor(_ q: String, count: Int = 1, timeout: Double = 30) throws -> [(labels: [String: String], value: Double)] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [(labels: [String: String], value: Double)] = []
        while Date() < deadline {
            last = try query(q)
            if last.count >= count { return last }
            usleep(250_000)
        }
        throw ServerError("prometheus: \(q) gave \(last.count) results, wanted \(count), after \(timeout) s: \(proc.logTail())")
    }

    /// The number of rules Prometheus loaded.
    public func loadedRules() throws -> Int {
        guard let r = Servers.httpGet(port: port, path: "/api/v1/rules"), r.status == 200,
              let obj = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = obj["data"] as? [String: Any], let groups = data["groups"] as? [[String: Any]] else { return -1 }
        return groups.reduce(0) { $0 + (($1["rules"] as? [Any])?.count ?? 0) }
    }
}

/// A Prometheus Pushgateway on 127.0.0.1 (in memory: no persistence file).
public final class PushgatewayServer: @unchecked Sendable {
    public let port: Int
    let proc: ManagedProcess
    let dir = TempDir("pushgateway")
    public var url: String { "http://127.0.0.1:\(port)" }

    public init() throws {
        let bin = try Servers.need("prometheus-pushgateway", package: "prometheus-pushgateway")
        port = Servers.freePort()
        proc = try ManagedProcess(bin, ["--web.listen-address=127.0.0.1:\(port)"], logPath: dir.sub("pushgateway.log"), killImmediately: true)
        try Servers.wait(for: "pushgateway", timeout: 20, process: proc) { Servers.httpGet(port: port, path: "/-/ready")?.status == 200 }
    }

    public func stop() { proc.stop() }

    /// The gateway's `/metrics` text.
    public func metrics() throws -> String {
        guard let r = Servers.httpGet(port: port, path: "/metrics"), r.status == 200 else {
            throw ServerError("pushgateway /metrics failed: \(proc.logTail())")
        }
        return String(decoding: r.body, as: UTF8.self)
    }
}

/// `Tests/servers/silent_server.py`: accepts TCP connections and never answers.
public final class SilentServer: @unchecked Sendable {
    public let port: Int
    let proc: ManagedProcess
    let dir = TempDir("silent")

    public init() throws {
        let python = try Servers.need("python3", package: "python3")
        (proc, port) = try Servers.startReportingPort("the silent server", python, [Paths.packageRoot + "/Tests/servers/silent_server.py"],
                                                      logPath: dir.sub("silent.log"))
    }

    public func stop() { proc.stop() }
}
