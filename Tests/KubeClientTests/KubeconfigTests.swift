import Foundation
import KubeClient
import SnapshotCore
import Testing
import TestSupport

@Suite("kubeconfig resolution, exec credentials and API error messages")
struct KubeconfigTests {
    static let sample = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: c1
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority-data: \(Data("CA PEM".utf8).base64EncodedString())
        - name: c2
          cluster:
            server: https://k8s.example.com
            insecure-skip-tls-verify: true
        users:
        - name: u-token
          user:
            token: abc
        - name: u-exec
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args: [eks, get-token, --cluster-name, prod]
              env: [{name: AWS_PROFILE, value: prod}]
        - name: u-cert
          user:
            client-certificate: certs/me.crt
            client-key-data: \(Data("KEY".utf8).base64EncodedString())
        - name: u-provider
          user:
            auth-provider: {name: gcp}
        contexts:
        - name: dev
          context: {cluster: c1, user: u-token, namespace: lux-devnet}
        - name: prod
          context: {cluster: c2, user: u-exec}
        - name: cert
          context: {cluster: c1, user: u-cert}
        - name: old
          context: {cluster: c1, user: u-provider}
        """

    @Test("current context, namespace from the context, --namespace overrides, CA data decoded")
    func currentContext() throws {
        let k = try Kubeconfig.parse(Self.sample, path: "/home/me/.kube/config")
        let c = try KubeConnection.fromKubeconfig(k, sel: KubeSelection())
        #expect(c.server == "https://10.0.0.1:6443" && c.namespace == "lux-devnet" && c.userName == "u-token")
        #expect(c.tls.caPEM == Array("CA PEM".utf8))
        guard case .token(let t) = c.auth else { Issue.record("expected a token"); return }
        #expect(t == "abc")
        let o = try KubeConnection.fromKubeconfig(k, sel: KubeSelection(namespace: "lux-mainnet"))
        #expect(o.namespace == "lux-mainnet")
    }

    @Test("--context picks another; exec plugins and insecure clusters; default namespace")
    func otherContexts() throws {
        let k = try Kubeconfig.parse(Self.sample, path: "/home/me/.kube/config")
        let p = try KubeConnection.fromKubeconfig(k, sel: KubeSelection(context: "prod"))
        #expect(p.namespace == "default" && p.tls.insecure)
        guard case .exec(let e, let server) = p.auth else { Issue.record("expected exec"); return }
        #expect(e.command == "aws" && e.args == ["eks", "get-token", "--cluster-name", "prod"] && e.env?.first?.value == "prod")
        #expect(server == "https://k8s.example.com")
    }

    @Test("relative certificate paths are relative to the kubeconfig's folder; a missing file is named")
    func relativePaths() throws {
        let k = try Kubeconfig.parse(Self.sample, path: "/home/me/.kube/config")
        #expect(k.users?.first { $0.name == "u-cert" }?.user.clientCertificate == "/home/me/.kube/certs/me.crt")
        #expect {
            _ = try KubeConnection.fromKubeconfig(k, sel: KubeSelection(context: "cert"))
        } throws: { e in
            "\(e)".contains("client-certificate of user \"u-cert\"") && "\(e)".contains("/home/me/.kube/certs/me.crt")
        }
    }

    @Test("unknown context, removed auth-provider, broken YAML: errors say what to do")
    func errors() throws {
        let k = try Kubeconfig.parse(Self.sample, path: "/k")
        #expect { _ = try KubeConnection.fromKubeconfig(k, sel: KubeSelection(context: "nope")) } throws: { e in
            "\(e)".contains("context \"nope\" is not in kubeconfig /k") && "\(e)".contains("dev, prod, cert, old")
        }
        #expect { _ = try KubeConnection.fromKubeconfig(k, sel: KubeSelection(context: "old")) } throws: { e in
            "\(e)".contains("auth-provider 'gcp'") && "\(e)".contains("exec plugin")
        }
        #expect(throws: ChainsnapError.self) { _ = try Kubeconfig.parse("clusters: [unterminated", path: "/bad") }
        let noCurrent = try Kubeconfig.parse("contexts: [{name: a, context: {cluster: c}}]", path: "/n")
        #expect { _ = try KubeConnection.fromKubeconfig(noCurrent, sel: KubeSelection()) } throws: { e in
            "\(e)".contains("no current-context") && "\(e)".contains("--context")
        }
    }

    @Test("$KUBECONFIG lists merge, first file wins; missing files in the list are skipped")
    func merging() throws {
        let dir = TempDir("kc")
        let a = dir.sub("a"), b = dir.sub("b")
        try "clusters: [{name: c, cluster: {server: 'https://a'}}]\nusers: [{name: u, user: {token: first}}]\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: n}}]\nusers: [{name: u, user: {token: second}}]\n"
            .write(toFile: b, atomically: true, encoding: .utf8)
        let c = try KubeConnection.resolve(KubeSelection(), environment: ["KUBECONFIG": "\(dir.sub("missing")):\(a):\(b)"], home: dir.path)
        #expect(c.server == "https://a" && c.namespace == "n")
        guard case .token(let t) = c.auth else { Issue.record("expected a token"); return }
        #expect(t == "first")
        #expect { _ = try KubeConnection.resolve(KubeSelection(), environment: [:], home: dir.path) } throws: { e in
            "\(e)".contains("no kubeconfig") && "\(e)".contains("--kubeconfig")
        }
    }

    @Test("ExecCredential: token, expiry, client certificate; malformed output is refused without echoing it")
    func execCredential() throws {
        let c = try ExecCredential.parse(Array(#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t0k","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#.utf8), command: "p")
        #expect(c.token == "t0k" && c.isValid(at: Date()))
        #expect(!c.isValid(at: parseRFC3339("2029-12-31T23:59:55Z")!))
        #expect(throws: ChainsnapError.self) { _ = try ExecCredential.parse(Array("secret-token-not-json".utf8), command: "p") }
        #expect { _ = try ExecCredential.parse(Array(#"{"kind":"ExecCredential","status":{}}"#.utf8), command: "p") } throws: { e in
            "\(e)".contains("neither a token nor a client certificate")
        }
    }

    @Test("API errors name the object and what to check, and never carry the token")
    func apiErrors() throws {
        let conn = KubeConnection(server: "https://api", tls: .init(), auth: .token("sekrit"), namespace: "lux", origin: "context \"x\" in /k", userName: "ops")
        let body = Array(#"{"kind":"Status","message":"pods \"luxd-9\" not found","reason":"NotFound","code":404}"#.utf8)
        let e404 = KubeError.error(status: 404, body: body, verb: "get", object: "pod lux/luxd-9", connection: conn)
        #expect(e404.code == .notFound && e404.description.contains("pod lux/luxd-9") && e404.description.contains("-n/--namespace"))
        let e403 = KubeError.error(status: 403, body: [], verb: "delete", object: "pod lux/luxd-0", connection: conn)
        #expect(e403.description.contains("user \"ops\" may not delete pod lux/luxd-0") && e403.description.contains("RBAC"))
        let e401 = KubeError.error(status: 401, body: [], verb: "list", object: "pods", connection: conn)
        #expect(e401.code == .auth && e401.description.contains("expired"))
        #expect(KubeError.error(status: 409, body: [], verb: "patch", object: "cm", connection: conn).code == .conflict)
        #expect(KubeError.error(status: 429, body: [], verb: "list", object: "pods", connection: conn).isRetryable)
        #expect(KubeError.error(status: 503, body: [], verb: "list", object: "pods", connection: conn).description.contains("control plane"))
        for e in [e404, e403, e401] { #expect(!e.description.contains("sekrit")) }
    }
}
