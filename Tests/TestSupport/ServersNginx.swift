import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// nginx serving a folder with Range support and a JSON autoindex, run as the current user
/// from a generated config in a temp folder, on three free 127.0.0.1 ports:
/// plain HTTP, HTTPS (HTTP/2 offered, certificate from a CA the test generates) and plain
/// HTTP with `limit_rate` per connection.
public final class NginxServer: @unchecked Sendable {
    public let root: String
    public let plainPort: Int
    public let tlsPort: Int
    public let limitedPort: Int
    /// PEM of the test CA that signed the TLS port's certificate (pass as --ca-file).
    public let caFile: String
    let proc: ManagedProcess

    public var plainURL: String { "http://127.0.0.1:\(plainPort)" }
    public var tlsURL: String { "https://127.0.0.1:\(tlsPort)" }
    public var limitedURL: String { "http://127.0.0.1:\(limitedPort)" }

    /// - Parameters:
    ///   - root: the folder to serve.
    ///   - workDir: where config, certificates, pid and logs go.
    ///   - limitRate: nginx `limit_rate` of the limited port (`25m`, `512k`).
    /// `autoindex: false` serves files only, like a CDN or static mirror without a folder index.
    public init(root: String, workDir: String, limitRate: String = "2m", autoindex: Bool = true) throws {
        let nginx = try Servers.need("nginx", package: "nginx-light")
        let openssl = try Servers.need("openssl", package: "openssl")
        self.root = root
        try FileManager.default.createDirectory(atPath: workDir + "/tmp", withIntermediateDirectories: true)
        caFile = workDir + "/ca.pem"
        try Self.makeCertificates(openssl: openssl, dir: workDir)
        plainPort = Servers.freePort()
        var t = Servers.freePort()
        while t == plainPort { t = Servers.freePort() }
        tlsPort = t
        var l = Servers.freePort()
        while l == plainPort || l == tlsPort { l = Servers.freePort() }
        limitedPort = l
        let userLine = getuid() == 0 ? "user root;" : ""
        let common = """
                root \(root);
                \(autoindex ? "autoindex on;\n        autoindex_format json;" : "autoindex off;")
                location = /_health { return 200 "ok"; }
        """
        let conf = """
        \(userLine)
        daemon off;
        master_process off;
        pid \(workDir)/nginx.pid;
        error_log \(workDir)/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(workDir)/tmp/body;
            proxy_temp_path \(workDir)/tmp/proxy;
            fastcgi_temp_path \(workDir)/tmp/fastcgi;
            uwsgi_temp_path \(workDir)/tmp/uwsgi;
            scgi_temp_path \(workDir)/tmp/scgi;
            default_type application/octet-stream;
            sendfile on;
            tcp_nopush on;
            keepalive_requests 100000;
            server {
                listen 127.0.0.1:\(plainPort);
        \(common)
            }
            server {
                listen 127.0.0.1:\(tlsPort) ssl http2;
                ssl_certificate \(workDir)/server.pem;
                ssl_certificate_key \(workDir)/server.key;
        \(common)
            }
            server {
                listen 127.0.0.1:\(limitedPort);
                limit_rate \(limitRate);
        \(common)
            }
        }
        """
        try conf.write(toFile: workDir + "/nginx.conf", atomically: true, encoding: .utf8)
        proc = try ManagedProcess(nginx, ["-p", workDir, "-c", workDir + "/nginx.conf", "-e", workDir + "/error.log"],
                                  logPath: workDir + "/nginx.out", killImmediately: true)
        let ports = [plainPort, tlsPort, limitedPort]
        do {
            try Servers.wait(for: "nginx", timeout: 10, process: proc) { ports.allSatisfy(Servers.isListening) }
        } catch {
            let log = (try? String(contentsOfFile: workDir + "/error.log", encoding: .utf8)) ?? ""
            proc.stop()
            throw ServerError("\(error) \(log.suffix(1500))")
        }
    }

    public func stop() { proc.stop() }

    /// A test CA and a server certificate for 127.0.0.1/localhost signed by it (EC P-256, 2 days).
    static func makeCertificates(openssl: String, dir: String) throws {
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "2", "-subj", "/CN=chainsnap test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
             "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile", dir + "/ext.cnf"],
        ]
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            .write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        for args in steps {
            let log = dir + "/openssl.log"
            guard try Servers.runLogged(openssl, args, logPath: log) == 0 else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw ServerError("openssl \(args[0]) failed: \(text)")
            }
        }
    }
}

/// A fresh nginx serving `files` (relative path → bytes), stopped afterwards.
public func withNginxServing<T>(_ files: [String: [UInt8]], limitRate: String = "2m",
                         _ body: (NginxServer) async throws -> T) async throws -> T {
    let dir = TempDir("nginx-store")
    for (path, bytes) in files {
        let full = dir.sub("root/" + path)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }
    try FileManager.default.createDirectory(atPath: dir.sub("work"), withIntermediateDirectories: true)
    let root = dir.sub("root"), work = dir.sub("work")
    let server = try await offloaded { try NginxServer(root: root, workDir: work, limitRate: limitRate) }
    defer { server.stop() }
    return try await body(server)
}
