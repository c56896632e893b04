import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The stand-in Kubernetes API server (Tests/servers/kube_standin.py) on 127.0.0.1 with a test CA
/// made by `openssl` at start, a bearer token kept in a file, and kubeconfigs to reach it.
public final class KubeStandin: @unchecked Sendable {
    public let dir: TempDir
    public let port: Int
    public let token: String
    /// The primary network's namespace (`--namespace` in the options, default lux-test).
    public let namespace: String
    /// A token that may only read (writes answer 403, as RBAC would).
    public let readonlyToken: String
    let process: ManagedProcess

    public var tlsDir: String { dir.sub("tls") }
    public var server: String { "https://127.0.0.1:\(port)" }
    public static let python = Paths.packageRoot + "/.venv/bin/python"

    /// Whether the tools it needs are present (or servers are required, so a missing one fails).
    public static var available: Bool { (try? Requirements.check(tools: ["python3", "openssl"])) ?? true }

    /// Starts it; `extra` are kube_standin.py options (`--rate 0`, `--lag luxd-3=50`, `--stuck luxd-2`).
    public init(_ extra: [String] = []) throws {
        dir = TempDir("kube")
        namespace = extra.firstIndex(of: "--namespace").flatMap { extra.indices.contains($0 + 1) ? extra[$0 + 1] : nil } ?? "lux-test"
        token = "standin-" + UUID().uuidString.lowercased()
        let tokenFile = dir.sub("token")
        _ = FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        readonlyToken = "viewer-" + UUID().uuidString.lowercased()
        _ = FileManager.default.createFile(atPath: dir.sub("readonly-token"), contents: Data(readonlyToken.utf8), attributes: [.posixPermissions: 0o600])
        let python = FileManager.default.isExecutableFile(atPath: Self.python) ? Self.python : try Servers.need("python3", package: "python3")
        let log = dir.sub("standin.log")
        process = try ManagedProcess(python, [Paths.packageRoot + "/Tests/servers/kube_standin.py", "--tls-dir", dir.sub("tls"),
                                              "--token-file", tokenFile, "--readonly-token-file", dir.sub("readonly-token"),
                                              "--work-dir", dir.sub("work")] + extra,
                                     logPath: log, killImmediately: false)
        var found = 0
        let deadline = Date().addingTimeInterval(60)
        while found == 0 && Date() < deadline {
            if let text = try? String(contentsOfFile: log, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) {
                found = Int(line.dropFirst(5)) ?? 0
            }
            if !process.isRunning { throw ServerError("kube_standin.py exited: \(process.logTail())") }
            usleep(50_000)
        }
        guard found > 0 else { throw ServerError("kube_standin.py did not start: \(process.logTail())") }
        port = found
    }

    deinit { process.stop() }

    /// Writes a kubeconfig whose user entry is `userYAML` (indented under `user:`); returns its path.
    public func kubeconfig(_ name: String, user userYAML: String, caLine: String? = nil, namespace ns: String? = nil) -> String {
        let ca = caLine ?? "certificate-authority: \(tlsDir)/ca.crt"
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: standin
              cluster:
                server: \(server)
                \(ca)
            users:
            - name: \(name)
              user:
            \(userYAML.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            contexts:
            - name: standin
              context:
                cluster: standin
                user: \(name)
                namespace: \(ns ?? namespace)
            current-context: standin

            """
        let path = dir.sub("kubeconfig-\(name)")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return path
    }

    /// A kubeconfig authenticating with `token` (default: the right one).
    public func tokenKubeconfig(_ token: String? = nil) -> String {
        kubeconfig(token == nil ? "token" : token == readonlyToken ? "viewer" : "wrong-token", user: "token: \(token ?? self.token)")
    }

    /// An executable exec-plugin script printing `json`; returns its path.
    public func execPlugin(_ name: String, printing json: String) -> String {
        let path = dir.sub(name)
        let script = "#!/bin/sh\n[ -n \"$KUBERNETES_EXEC_INFO\" ] || { echo 'no KUBERNETES_EXEC_INFO' >&2; exit 9; }\ncat <<'JSON'\n\(json)\nJSON\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The stand-in's test-only record: deletions, the most pods down at once, node ports, recovery requests seen.
    public func state() throws -> [String: Any] {
        guard let obj = try JSONSerialization.jsonObject(with: stateData()) as? [String: Any] else {
            throw ServerError("the stand-in's state is not a JSON object")
        }
        return obj
    }

    /// The state as JSON bytes (Sendable, for `offloaded`).
    public func stateData() throws -> Data {
        let code = """
            import json, ssl, sys, urllib.request
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            req = urllib.request.Request(sys.argv[1] + "/_test/state", headers={"Authorization": "Bearer " + open(sys.argv[3]).read().strip()})
            print(urllib.request.urlopen(req, context=ctx, timeout=10).read().decode())
            """
        let r = try run("python3", ["-c", code, server, tlsDir + "/ca.crt", dir.sub("token")])
        guard r.status == 0 else { throw ServerError("could not read the stand-in's state: \(r.output.suffix(500))") }
        return Data(r.stdout.utf8)
    }

    /// The pods deleted so far, in order.
    public func deletedPods() throws -> [String] {
        ((try state()["deletions"] as? [[String: Any]]) ?? []).compactMap { $0["pod"] as? String }
    }

    public func logTail() -> String { process.logTail() }
}
