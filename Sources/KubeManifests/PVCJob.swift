import Foundation
import SnapshotCore

/// Where a generated Job restores from: a URL on its command line, or a Secret whose key `url`
/// holds it (a presigned URL is a credential), mounted and read with `--from-file`.
public enum RestoreJobSource: Equatable, Sendable {
    case url(String)
    case secret(name: String)
}

/// What every one-off Job against a node's PVC shares: the claim, where it is mounted, the
/// chain data folder, the source, the image, Secrets for credentials, and the store arguments
/// passed on to chainsnap (never secrets: those come from `credentialsSecret`, mounted as files).
public struct PVCJob: Equatable, Sendable {
    public var pvc: String
    public var source: RestoreJobSource
    public var namespace: String?
    /// Snapshot id (nil: latest).
    public var snapshot: String?
    public var image: String
    /// Secret with the store credentials (keys access-key-id, secret-access-key).
    public var credentialsSecret: String?
    public var mountPath: String
    /// The chain data folder on the PVC that the snapshot restores into.
    public var subPath: String
    /// Job name (nil: derived from the PVC name).
    public var name: String?
    /// Store flags for chainsnap, e.g. `--endpoint URL --path-style`.
    public var storeArguments: [String]
    /// Pod scheduling and identity: pull secrets for a private image, the node selector, and the
    /// user/group the container runs as (match the node's volume; fsGroup makes it writable).
    public var imagePullSecrets: [String] = []
    public var nodeSelector: [String: String] = [:]
    public var runAsUser: Int? = nil
    public var runAsGroup: Int? = nil
    public var fsGroup: Int? = nil

    /// Where the credentials Secret is mounted in the pod.
    public static let credentialsMount = "/var/run/secrets/chainsnap/store"
    /// Where the restore-URL Secret is mounted in the pod.
    public static let restoreURLMount = "/var/run/secrets/chainsnap/restore-url"

    public init(pvc: String, source: RestoreJobSource, namespace: String? = nil, snapshot: String? = nil, image: String,
                credentialsSecret: String? = nil, mountPath: String = "/data", subPath: String = "db", name: String? = nil,
                storeArguments: [String] = []) {
        self.pvc = pvc
        self.source = source
        self.namespace = namespace
        self.snapshot = snapshot
        self.image = image
        self.credentialsSecret = credentialsSecret
        self.mountPath = mountPath
        self.subPath = subPath
        self.name = name
        self.storeArguments = storeArguments
    }

    /// Checks names, paths and the source URL; throws `.invalidArgument` naming the flag.
    public func validate() throws {
        func bad(_ m: String) -> ChainsnapError { ChainsnapError(.invalidArgument, m) }
        var names: [(String, String)] = [("--namespace", namespace ?? "a"), ("--credentials-secret", credentialsSecret ?? "a"), ("--name", name ?? "a")]
        if case .secret(let s) = source { names.append(("--from-secret", s)) }
        guard KubeNames.isDNSLabel(pvc) || KubeNames.isDNSSubdomain(pvc) else { throw bad(Self.badName("--pvc", pvc)) }
        for (flag, v) in names where !KubeNames.isDNSLabel(v) { throw bad(Self.badName(flag, v)) }
        for s in imagePullSecrets where !KubeNames.isDNSSubdomain(s) { throw bad(Self.badName("--image-pull-secret", s)) }
        for id in [runAsUser, runAsGroup, fsGroup].compactMap({ $0 }) where id < 0 { throw bad("--run-as-user, --run-as-group and --fs-group must not be negative") }
        guard mountPath.hasPrefix("/") else { throw bad("--mount-path must be absolute") }
        guard (try? PathRules.checkEntryPath(subPath)) != nil else { throw bad("--sub-path '\(subPath)' must be a relative path without '..'") }
        if case .url(let from) = source, let u = URLComponents(string: from), u.user != nil || u.password != nil {
            throw bad("--from must not contain credentials; put them in a Secret and pass --credentials-secret")
        }
    }

    static func badName(_ flag: String, _ v: String) -> String {
        "\(flag) '\(v)' is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63 characters)"
    }

    /// `--from URL`, or `--from-file` pointing into the mounted restore-URL Secret.
    public var sourceArguments: [String] {
        switch source {
        case .url(let u): ["--from", u]
        case .secret: ["--from-file", Self.restoreURLMount + "/url"]
        }
    }

    /// Where the data comes from, for the Job's header comment (never the secret URL itself).
    public var sourceDescription: String {
        switch source {
        case .url(let u): u
        case .secret(let s): "the URL in Secret \(s) (key url)"
        }
    }

    /// The store arguments plus `--credentials-dir` at the credentials Secret's mount.
    public var storeArgumentsInPod: [String] {
        storeArguments + (credentialsSecret != nil ? ["--credentials-dir", Self.credentialsMount] : [])
    }

    /// The Job's name: `name`, or `prefix-PVC` cut to a DNS label.
    public func jobName(prefix: String) -> String { name ?? KubeNames.label(prefix: prefix, pvc) }

    /// `kubectl logs -f job/NAME [-n NAMESPACE]`.
    public func followCommand(_ jobName: String) -> String {
        "kubectl logs -f job/\(jobName)\(namespace.map { " -n " + $0 } ?? "")"
    }
}
