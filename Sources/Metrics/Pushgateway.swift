import Foundation
import SnapshotCore
import Transfer

/// A Prometheus Pushgateway client over Transfer's HTTP client.
///
/// A job's metrics go to the group `/metrics/job/JOB/network/NET` (the network part only when
/// known). `push` uses PUT, which replaces the whole group: the report already carries the
/// values that must survive a failed run (see `JobReport`), read back with `currentGroup`.
public struct Pushgateway: Sendable {
    /// The Pushgateway's base URL, e.g. `http://pushgateway.monitoring:9091`.
    public let baseURL: String
    public var timeout: Double
    let http = HTTPClient()

    public init(_ baseURL: String, timeout: Double = 10) throws {
        var b = baseURL
        while b.hasSuffix("/") { b.removeLast() }
        guard b.hasPrefix("http://") || b.hasPrefix("https://") else {
            throw ChainsnapError(.invalidArgument, "--pushgateway '\(baseURL)' is not an http:// or https:// URL",
                                 hint: "give the Pushgateway's base URL, e.g. http://pushgateway.monitoring:9091")
        }
        self.baseURL = b
        self.timeout = timeout
    }

    /// The group's URL: `BASE/metrics/job/JOB[/network/NET]`, with values that are empty or hold
    /// characters outside `[A-Za-z0-9._~-]` in the Pushgateway's `name@base64/…` form.
    public func groupURL(job: String, network: String?) -> String {
        var u = baseURL + "/metrics/" + Self.segment("job", job)
        if let network { u += "/" + Self.segment("network", network) }
        return u
    }

    static func segment(_ name: String, _ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95 || c == 126
        }
        if plain { return name + "/" + value }
        let b64 = Data(value.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return name + "@base64/" + (b64.isEmpty ? "=" : b64)
    }

    /// PUTs `text` (text exposition without the grouping labels) as the group's new content.
    public func push(_ text: String, job: String, network: String?) async throws {
        let url = groupURL(job: job, network: network)
        var req = HTTPRequest(method: "PUT", url: url, headers: [("Content-Type", Exposition.contentType)],
                              body: Array(text.utf8), timeout: timeout)
        req.maxBodyBytes = 64 << 10
        let r = try await http.send(req)
        guard (200..<300).contains(r.status) else {
            throw ChainsnapError(.http, "the Pushgateway answered HTTP \(r.status) to PUT \(Redact.url(url)): \(r.bodyText.prefix(300))",
                                 hint: r.status == 400 ? "the pushed metrics were refused; report this as a chainsnap bug" : "check --pushgateway")
        }
    }

    /// The Pushgateway's whole `/metrics` text (read to carry values across runs), at most 8 MiB.
    public func currentMetrics() async throws -> String {
        var req = HTTPRequest(method: "GET", url: baseURL + "/metrics", timeout: timeout)
        req.maxBodyBytes = 8 << 20
        let r = try await http.send(req)
        guard r.status == 200 else {
            throw ChainsnapError(.http, "the Pushgateway answered HTTP \(r.status) to GET \(Redact.url(baseURL))/metrics")
        }
        return r.bodyText
    }
}
