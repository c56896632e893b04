import Foundation
import SnapshotCore
#if canImport(Glibc)
import Glibc
#endif

/// What an exec credential plugin returned (`ExecCredential.status`).
public struct ExecCredential: Sendable {
    public var token: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// nil = valid until the server rejects it.
    public var expiration: Date?

    /// Whether the credential may still be used at `now` (10 s before expiry counts as expired).
    public func isValid(at now: Date) -> Bool {
        guard let expiration else { return true }
        return expiration.timeIntervalSince(now) > 10
    }

    /// Parses the plugin's stdout. Errors say which part is wrong; the token is never quoted.
    public static func parse(_ data: [UInt8], command: String) throws -> ExecCredential {
        guard data.count <= 1 << 20,
              let obj = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else {
            throw ChainsnapError(.auth, "exec credential plugin '\(command)' did not print an ExecCredential JSON object", object: command,
                                 hint: "run the plugin by hand and check that it prints {\"kind\":\"ExecCredential\",…}")
        }
        guard obj["kind"] as? String == "ExecCredential", let status = obj["status"] as? [String: Any] else {
            throw ChainsnapError(.auth, "exec credential plugin '\(command)' printed JSON without kind ExecCredential and a status", object: command)
        }
        var c = ExecCredential()
        c.token = status["token"] as? String
        c.clientCertificatePEM = (status["clientCertificateData"] as? String).map { Array($0.utf8) }
        c.clientKeyPEM = (status["clientKeyData"] as? String).map { Array($0.utf8) }
        if let ts = status["expirationTimestamp"] as? String {
            guard let d = parseRFC3339(ts) else {
                throw ChainsnapError(.auth, "exec credential plugin '\(command)' gave expirationTimestamp '\(ts)', not an RFC 3339 time", object: command)
            }
            c.expiration = d
        }
        guard c.token != nil || (c.clientCertificatePEM != nil && c.clientKeyPEM != nil) else {
            throw ChainsnapError(.auth, "exec credential plugin '\(command)' returned neither a token nor a client certificate and key", object: command)
        }
        return c
    }
}

/// RFC 3339 timestamps as Kubernetes writes them (`2026-12-01T10:00:00Z`, fractions and offsets too).
public func parseRFC3339(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s)
}

/// Formats a date as Kubernetes does (`2026-12-01T10:00:00Z`).
public func formatRFC3339(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: d)
}

/// Runs exec credential plugins and caches their answer until it expires.
final class ExecCredentialCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: ExecCredential?

    /// A valid credential: the cached one, or a fresh one from the plugin. `force` skips the cache
    /// (after the server answered 401 to the cached one).
    func credential(_ config: Kubeconfig.ExecConfig, server: String, force: Bool) throws -> ExecCredential {
        let now = Date()
        if !force, let c = lock.withLock({ cached }), c.isValid(at: now) { return c }
        let fresh = try Self.run(config, server: server)
        if !fresh.isValid(at: Date()) {
            let when = fresh.expiration.map(formatRFC3339) ?? "?"
            throw ChainsnapError(.auth, "exec credential plugin '\(config.command)' returned a credential that expired at \(when)",
                                 object: config.command,
                                 hint: "log in again with the tool behind the plugin (e.g. `aws sso login`, `doctl auth init`) and check this machine's clock")
        }
        lock.withLock { cached = fresh }
        return fresh
    }

    /// Runs the plugin with KUBERNETES_EXEC_INFO set; its stderr goes to ours (prompts, warnings).
    static func run(_ config: Kubeconfig.ExecConfig, server: String) throws -> ExecCredential {
        guard let exe = findExecutable(config.command) else {
            throw ChainsnapError(.auth, "exec credential plugin '\(config.command)' was not found on PATH", object: config.command,
                                 hint: config.installHint ?? "install it, or fix `command:` in the kubeconfig's user entry")
        }
        var info: [String: Any] = ["apiVersion": config.apiVersion ?? "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                                   "spec": ["interactive": false]]
        if config.provideClusterInfo == true { info["spec"] = ["interactive": false, "cluster": ["server": server]] }
        var env = ProcessInfo.processInfo.environment
        for e in config.env ?? [] { env[e.name] = e.value }
        env["KUBERNETES_EXEC_INFO"] = String(decoding: try JSONSerialization.data(withJSONObject: info), as: UTF8.self)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = config.args ?? []
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw ChainsnapError(.auth, "exec credential plugin '\(config.command)' could not be started", object: exe, underlying: error)
        }
        let data = readToEnd(out.fileHandleForReading.fileDescriptor, limit: 1 << 20)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ChainsnapError(.auth, "exec credential plugin '\(config.command)' exited with status \(p.terminationStatus)", object: config.command,
                                 hint: "its message is above; usually the login behind it expired (log in again with your cloud CLI)")
        }
        return try ExecCredential.parse(data, command: config.command)
    }

    static func findExecutable(_ cmd: String) -> String? {
        if cmd.contains("/") { return FileManager.default.isExecutableFile(atPath: cmd) ? cmd : nil }
        for d in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(d)/\(cmd)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Reads a pipe to its end (EINTR-safe), keeping at most `limit` bytes.
    static func readToEnd(_ fd: Int32, limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if out.count < limit { out += buf[0..<min(n, limit - out.count)] }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            return out
        }
    }
}
