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
        let pipe = Pipe()
        proc = try ManagedProcess(python, [script, "--root", root, "--stall", String(stallSeconds)],
                                  logPath: logDir + "/fault-server.log", stdoutPipe: pipe, killImmediately: true)
        self.root = root
        // The script prints its port once it listens.
        // Read with read(2) and retry EINTR: FileHandle.availableData traps on an interrupted read.
        var line = ""
        let deadline = Date().addingTimeInterval(15)
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buf = [UInt8](repeating: 0, count: 256)
        while !line.contains("\n") && Date() < deadline {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            line += String(decoding: buf[0..<n], as: UTF8.self)
        }
        guard let p = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            proc.stop()
            throw ServerError("fault server did not start: \(proc.logTail())")
        }
        port = p
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
