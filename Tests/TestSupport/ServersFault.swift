import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The misbehaving HTTP server (`Tests/servers/fault_server.py`) serving files from a folder.
///
/// URLs: `\(baseURL)/<mode>/<times>/<file>`; see the script's header for the modes
/// (ok, drop, 500, 503, 429, stall, short, norange, etag, wrongrange).
public final class FaultServer: @unchecked Sendable {
    public let port: Int
    public let root: String
    let proc: ManagedProcess

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The URL for `file` served with `mode`, faulty for the first `times` requests (0 = always).
    public func url(_ mode: String, times: Int = 0, _ file: String) -> String {
        "\(baseURL)/\(mode)/\(times)/\(file)"
    }

    /// Starts the server on a free port; `stallSeconds` is how long the `stall` mode goes silent.
    public init(root: String, stallSeconds: Double = 3, logDir: String) throws {
        let python = try Servers.need("python3", package: "python3")
        let script = Paths.packageRoot + "/Tests/servers/fault_server.py"
        (proc, port) = try Servers.startReportingPort(
            "the fault server", python, [script, "--root", root, "--stall", String(stallSeconds)],
            logPath: logDir + "/fault-server.log", timeout: 15)
        self.root = root
    }

    public func stop() { proc.stop() }

    /// How many requests each path received.
    public func stats() throws -> [String: Int] {
        guard let r = Servers.httpGet(port: port, path: "/_stats"), r.status == 200 else {
            throw ServerError("fault server statistics unavailable: \(proc.logTail())")
        }
        let obj = try JSONSerialization.jsonObject(with: Data(r.body))
        return (obj as? [String: Int]) ?? [:]
    }
}
