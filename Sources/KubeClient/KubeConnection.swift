import Foundation
import SnapshotCore
import Transfer

/// Which cluster to talk to, as the operator chose it on the command line.
public struct KubeSelection: Sendable {
    /// `--kubeconfig FILE`.
    public var kubeconfig: String?
    /// `--context NAME`.
    public var context: String?
    /// `-n/--namespace`; nil = the context's namespace (else `default`).
    public var namespace: String?

    public init(kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
    }
}

/// How requests authenticate. Client certificates travel in `KubeConnection.tls`.
public enum KubeAuth: Sendable {
    case none
    /// A static bearer token (never printed).
    case token(String)
    /// A token file read again before each request (bound service-account tokens rotate).
    case tokenFile(String)
    /// An exec credential plugin, run when no unexpired credential is cached.
    case exec(Kubeconfig.ExecConfig, server: String)
}

/// A resolved API server: where it is, how to trust it, how to authenticate, the default namespace.
public struct KubeConnection: Sendable {
    public var server: String
    public var tls: HTTPTLS
    public var auth: KubeAuth
    public var namespace: String
    /// Where this came from, for messages: `context "prod" in /home/me/.kube/config`, `in-cluster service account`.
    public var origin: String
    /// The user entry's name (for "user X may not …" messages).
    public var userName: String

    public init(server: String, tls: HTTPTLS, auth: KubeAuth, namespace: String, origin: String, userName: String) {
        var s = server
        while s.hasSuffix("/") { s.removeLast() }
        self.server = s
        self.tls = tls
        self.auth = auth
        self.namespace = namespace
        self.origin = origin
        self.userName = userName
    }

    /// Resolves the selection as kubectl does: `--kubeconfig`, else `$KUBECONFIG` (a `:`-list,
    /// merged), else the in-cluster service account when `KUBERNETES_SERVICE_HOST` is set, else
    /// `~/.kube/config`. `serviceAccountDir` is where a pod's token, CA and namespace are mounted.
    public static func resolve(_ sel: KubeSelection, environment env: [String: String] = ProcessInfo.processInfo.environment,
                               home: String = NSHomeDirectory(),
                               serviceAccountDir: String = "/var/run/secrets/kubernetes.io/serviceaccount") throws -> KubeConnection {
        if let file = sel.kubeconfig {
            return try fromKubeconfig(Kubeconfig.load(path: file), sel: sel)
        }
        if let list = env["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { FileManager.default.fileExists(atPath: $0) }
            guard !paths.isEmpty else {
                throw ChainsnapError(.notFound, "none of the files in KUBECONFIG (\(list)) exists", object: list,
                                     hint: "fix KUBECONFIG or pass --kubeconfig FILE")
            }
            return try fromKubeconfig(Kubeconfig.merge(paths.map(Kubeconfig.load(path:))), sel: sel)
        }
        if let host = env["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try inCluster(host: host, port: env["KUBERNETES_SERVICE_PORT"] ?? "443", dir: serviceAccountDir, sel: sel)
        }
        let def = home + "/.kube/config"
        guard FileManager.default.fileExists(atPath: def) else {
            throw ChainsnapError(.notFound, "no kubeconfig: --kubeconfig not given, KUBECONFIG not set, \(def) missing, and not running in a pod",
                                 object: def, hint: "pass --kubeconfig FILE (e.g. the one your cloud CLI writes) or set KUBECONFIG")
        }
        return try fromKubeconfig(Kubeconfig.load(path: def), sel: sel)
    }

    /// The connection a context describes.
    public static func fromKubeconfig(_ k: Kubeconfig, sel: KubeSelection) throws -> KubeConnection {
        let file = k.path
        let names = (k.contexts ?? []).map(\.name)
        guard let ctxName = sel.context ?? k.currentContext.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ChainsnapError(.invalidArgument, "kubeconfig \(file) has no current-context and --context was not given", object: file,
                                 hint: names.isEmpty ? "the file lists no contexts" : "pass --context with one of: \(names.joined(separator: ", "))")
        }
        guard let ctx = k.contexts?.first(where: { $0.name == ctxName })?.context else {
            throw ChainsnapError(.notFound, "context \"\(ctxName)\" is not in kubeconfig \(file)", object: file,
                                 hint: names.isEmpty ? "the file lists no contexts" : "known contexts: \(names.joined(separator: ", "))")
        }
        guard let cl = k.clusters?.first(where: { $0.name == ctx.cluster })?.cluster else {
            throw ChainsnapError(.notFound, "context \"\(ctxName)\" names cluster \"\(ctx.cluster)\", which kubeconfig \(file) does not define", object: file)
        }
        guard cl.server.hasPrefix("https://") || cl.server.hasPrefix("http://") else {
            throw ChainsnapError(.invalidArgument, "cluster \"\(ctx.cluster)\" in \(file) has server '\(cl.server)', not an https:// URL", object: file)
        }
        let origin = "context \"\(ctxName)\" in \(file)"
        var tls = HTTPTLS(insecure: cl.insecureSkipTLSVerify ?? false)
        if let d = cl.certificateAuthorityData, !d.isEmpty {
            tls.caPEM = try decodeBase64(d, field: "certificate-authority-data of cluster \"\(ctx.cluster)\"", file: file)
        } else if let f = cl.certificateAuthority, !f.isEmpty {
            tls.caPEM = try readFile(f, what: "certificate-authority of cluster \"\(ctx.cluster)\"", file: file)
        }
        var auth = KubeAuth.none
        let userName = ctx.user ?? ""
        if !userName.isEmpty {
            guard let u = k.users?.first(where: { $0.name == userName })?.user else {
                throw ChainsnapError(.notFound, "context \"\(ctxName)\" names user \"\(userName)\", which kubeconfig \(file) does not define", object: file)
            }
            let what = "user \"\(userName)\""
            if let d = u.clientCertificateData, !d.isEmpty { tls.clientCertPEM = try decodeBase64(d, field: "client-certificate-data of \(what)", file: file) }
            else if let f = u.clientCertificate, !f.isEmpty { tls.clientCertPEM = try readFile(f, what: "client-certificate of \(what)", file: file) }
            if let d = u.clientKeyData, !d.isEmpty { tls.clientKeyPEM = try decodeBase64(d, field: "client-key-data of \(what)", file: file) }
            else if let f = u.clientKey, !f.isEmpty { tls.clientKeyPEM = try readFile(f, what: "client-key of \(what)", file: file) }
            if (tls.clientCertPEM == nil) != (tls.clientKeyPEM == nil) {
                throw ChainsnapError(.invalidArgument, "\(what) in \(file) has a client certificate without a key (or a key without a certificate)", object: file,
                                     hint: "give both client-certificate(-data) and client-key(-data)")
            }
            if let t = u.token, !t.isEmpty { auth = .token(t) }
            else if let f = u.tokenFile, !f.isEmpty { auth = .tokenFile(f) }
            else if let e = u.exec {
                let v = e.apiVersion ?? ""
                guard v == "client.authentication.k8s.io/v1" || v == "client.authentication.k8s.io/v1beta1" else {
                    throw ChainsnapError(.unsupportedFormat, "\(what) in \(file) uses exec plugin apiVersion '\(v)'", object: file,
                                         hint: "chainsnap speaks client.authentication.k8s.io/v1 (and v1beta1); regenerate the kubeconfig with a current cloud CLI")
                }
                auth = .exec(e, server: cl.server)
            } else if let p = u.authProvider {
                throw ChainsnapError(.unsupportedFormat, "\(what) in \(file) uses the removed auth-provider '\(p.name)'", object: file,
                                     hint: "regenerate the kubeconfig so it uses an exec plugin (e.g. gke-gcloud-auth-plugin, kubelogin)")
            }
        }
        let ns = sel.namespace ?? ctx.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return KubeConnection(server: cl.server, tls: tls, auth: auth, namespace: ns, origin: origin, userName: userName)
    }

    /// A pod's own service account: token (read before every request), CA and namespace.
    public static func inCluster(host: String, port: String, dir: String, sel: KubeSelection) throws -> KubeConnection {
        let tokenPath = dir + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw ChainsnapError(.notFound, "KUBERNETES_SERVICE_HOST is set but the service account token \(tokenPath) is missing", object: tokenPath,
                                 hint: "set automountServiceAccountToken: true on the Job's pod (see jobs/fleet-rbac.yaml), or pass --kubeconfig")
        }
        let ca = FileManager.default.contents(atPath: dir + "/ca.crt").map { [UInt8]($0) }
        let nsFile = (try? String(contentsOfFile: dir + "/namespace", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let h = host.contains(":") ? "[\(host)]" : host
        return KubeConnection(server: "https://\(h):\(port)", tls: HTTPTLS(caPEM: ca), auth: .tokenFile(tokenPath),
                              namespace: sel.namespace ?? nsFile ?? "default", origin: "in-cluster service account (\(dir))",
                              userName: "the pod's service account")
    }

    static func decodeBase64(_ s: String, field: String, file: String) throws -> [UInt8] {
        let compact = s.filter { !$0.isWhitespace }
        guard let d = Data(base64Encoded: compact) else {
            throw ChainsnapError(.invalidArgument, "\(field) in \(file) is not valid base64", object: file)
        }
        return [UInt8](d)
    }

    static func readFile(_ path: String, what: String, file: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw ChainsnapError(.notFound, "\(what) in \(file) points to \(path), which cannot be read", object: path)
        }
        return [UInt8](d)
    }
}
