import Foundation
import SnapshotCore
import Yams

/// A kubeconfig file as `kubectl` reads it: clusters, users, contexts and the current context.
/// Only the fields chainsnap uses are decoded; unknown fields are ignored, as kubectl does.
public struct Kubeconfig: Decodable, Sendable {
    public struct NamedCluster: Decodable, Sendable {
        public var name: String
        public var cluster: Cluster
    }

    public struct Cluster: Decodable, Sendable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    public struct NamedUser: Decodable, Sendable {
        public var name: String
        public var user: User
    }

    public struct User: Decodable, Sendable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var exec: ExecConfig?
        public var authProvider: AuthProvider?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    /// The legacy `auth-provider` (gcp, azure, oidc): named in an error, not supported.
    public struct AuthProvider: Decodable, Sendable {
        public var name: String
    }

    /// An `exec` credential plugin (`aws eks get-token`, `doctl kubernetes cluster kubeconfig exec-credential`).
    public struct ExecConfig: Decodable, Sendable {
        public struct EnvVar: Decodable, Sendable {
            public var name: String
            public var value: String
        }

        public var apiVersion: String?
        public var command: String
        public var args: [String]?
        public var env: [EnvVar]?
        public var installHint: String?
        public var provideClusterInfo: Bool?
    }

    public struct NamedContext: Decodable, Sendable {
        public var name: String
        public var context: Context
    }

    public struct Context: Decodable, Sendable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    public var clusters: [NamedCluster]?
    public var users: [NamedUser]?
    public var contexts: [NamedContext]?
    public var currentContext: String?
    /// The file this was read from (relative paths inside are relative to its folder).
    public var path: String = ""

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    /// Parses kubeconfig YAML (or JSON). Errors name the file.
    public static func parse(_ text: String, path: String) throws -> Kubeconfig {
        guard text.utf8.count <= 16 << 20 else {
            throw ChainsnapError(.invalidArgument, "kubeconfig \(path) is larger than 16 MiB", object: path)
        }
        do {
            var k = try YAMLDecoder().decode(Kubeconfig.self, from: text.isEmpty ? "{}" : text)
            k.path = path
            k.clusters = k.clusters?.map { $0.resolvedRelative(to: path) }
            k.users = k.users?.map { $0.resolvedRelative(to: path) }
            return k
        } catch {
            throw ChainsnapError(.invalidArgument, "kubeconfig \(path) is not a valid kubeconfig", object: path,
                                 hint: "check it with `kubectl config view --kubeconfig \(path)`",
                                 underlying: KubeconfigParseError(text: "\(error)"))
        }
    }

    /// Reads and parses one file.
    public static func load(path: String) throws -> Kubeconfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChainsnapError(.notFound, "kubeconfig \(path) cannot be read", object: path,
                                 hint: "give --kubeconfig FILE, set KUBECONFIG, or run inside a pod (service account)")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Merges several files (each already with absolute paths) the way kubectl merges `$KUBECONFIG`: the first file that names a
    /// cluster, user or context wins, and the first current-context set wins.
    public static func merge(_ files: [Kubeconfig]) -> Kubeconfig {
        guard var out = files.first else { return Kubeconfig(path: "") }
        for f in files.dropFirst() {
            for c in f.clusters ?? [] where !(out.clusters ?? []).contains(where: { $0.name == c.name }) {
                out.clusters = (out.clusters ?? []) + [c]
            }
            for u in f.users ?? [] where !(out.users ?? []).contains(where: { $0.name == u.name }) {
                out.users = (out.users ?? []) + [u]
            }
            for c in f.contexts ?? [] where !(out.contexts ?? []).contains(where: { $0.name == c.name }) {
                out.contexts = (out.contexts ?? []) + [c]
            }
            if out.currentContext?.isEmpty ?? true { out.currentContext = f.currentContext }
        }
        return out
    }

    init(path: String) { self.path = path }
}

/// The YAML decoder's message, kept as text (it may quote the file, never a header).
struct KubeconfigParseError: Error, CustomStringConvertible {
    var text: String
    var description: String { String(text.prefix(300)) }
}

/// Makes a kubeconfig's relative file paths absolute against the file's folder (as kubectl does).
func absolute(_ p: String?, base: String) -> String? {
    guard let p, !p.isEmpty else { return p }
    if p.hasPrefix("/") || base.isEmpty { return p }
    if p.hasPrefix("~/") { return NSHomeDirectory() + String(p.dropFirst(1)) }
    return ((base as NSString).deletingLastPathComponent as NSString).appendingPathComponent(p)
}

extension Kubeconfig.NamedCluster {
    func resolvedRelative(to file: String) -> Self {
        var c = self
        c.cluster.certificateAuthority = absolute(c.cluster.certificateAuthority, base: file)
        return c
    }
}

extension Kubeconfig.NamedUser {
    func resolvedRelative(to file: String) -> Self {
        var u = self
        u.user.clientCertificate = absolute(u.user.clientCertificate, base: file)
        u.user.clientKey = absolute(u.user.clientKey, base: file)
        u.user.tokenFile = absolute(u.user.tokenFile, base: file)
        if let cmd = u.user.exec?.command, cmd.contains("/"), !cmd.hasPrefix("/") {
            u.user.exec?.command = absolute(cmd, base: file) ?? cmd
        }
        return u
    }
}
