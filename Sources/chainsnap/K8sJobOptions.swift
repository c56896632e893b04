import ArgumentParser
import Foundation

/// Options shared by the `chainsnap k8s …-job` commands.
struct K8sJobOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The PersistentVolumeClaim holding the node's data.", valueName: "name"))
    var pvc: String

    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from.", valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("Instead of --from: a Secret whose key 'url' holds the URL (a presigned URL is a credential), mounted into the Job.", valueName: "name"))
    var fromSecret: String?

    @Option(help: "Namespace of the PVC and the Job (default: kubectl's current namespace).")
    var namespace: String?

    @Option(help: ArgumentHelp("Snapshot id to restore (default: latest).", valueName: "id"))
    var snapshot: String?

    @Option(help: "The chainsnap container image.")
    var image: String = "ghcr.io/luxfi/chainsnap:\(Chainsnap.version)"

    @Option(help: ArgumentHelp("Secret with the store credentials (keys access-key-id, secret-access-key), mounted as files.", valueName: "name"))
    var credentialsSecret: String?

    @Option(help: ArgumentHelp("Where the PVC is mounted in the Job's pod.", valueName: "path"))
    var mountPath: String = "/data"

    @Option(help: ArgumentHelp("Chain data folder on the PVC that the snapshot restores into.", valueName: "subpath"))
    var subPath: String = "db"

    @Option(help: "S3-compatible endpoint URL.")
    var endpoint: String?

    @Option(help: "S3 region.")
    var region: String?

    @Flag(help: "Path-style S3 addressing (MinIO, SeaweedFS, Ceph).")
    var pathStyle = false

    @Option(help: "Job name (default: derived from the PVC name).")
    var name: String?

    static let credentialsMount = "/var/run/secrets/chainsnap/store"
    static let restoreURLMount = "/var/run/secrets/chainsnap/restore-url"

    /// `--from URL`, or `--from-file` pointing into the mounted `--from-secret` (`validate` requires one).
    var sourceArguments: [String] {
        if let from { return ["--from", from] }
        return ["--from-file", Self.restoreURLMount + "/url"]
    }

    /// Where the data comes from, for the Job's header comment (never the secret URL itself).
    var sourceDescription: String {
        from ?? "the URL in Secret \(fromSecret ?? "?") (key url)"
    }

    func validate() throws {
        switch (from, fromSecret) {
        case (nil, nil): throw ValidationError("give --from URL, or --from-secret NAME (a Secret whose key 'url' holds it)")
        case (.some, .some): throw ValidationError("give either --from or --from-secret, not both")
        default: break
        }
        for (flag, v) in [("--pvc", pvc), ("--namespace", namespace ?? "a"), ("--credentials-secret", credentialsSecret ?? "a"),
                          ("--from-secret", fromSecret ?? "a"), ("--name", name ?? "a")] {
            guard Self.isDNSLabel(v) || (flag == "--pvc" && Self.isDNSSubdomain(v)) else {
                throw ValidationError("\(flag) '\(v)' is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63 characters)")
            }
        }
        guard mountPath.hasPrefix("/") else { throw ValidationError("--mount-path must be absolute") }
        guard NodePrepareDataCommand.isSafeSubpath(subPath) else { throw ValidationError("--sub-path '\(subPath)' must be a relative path without '..'") }
        if let from, let u = URLComponents(string: from), u.user != nil || u.password != nil {
            throw ValidationError("--from must not contain credentials; put them in a Secret and pass --credentials-secret")
        }
    }

    static func isDNSLabel(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 63, let f = s.first, let l = s.last, f.isLetter || f.isNumber, l.isLetter || l.isNumber else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    static func isDNSSubdomain(_ s: String) -> Bool {
        s.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// A job name from a prefix and the PVC name, cut to the 63-character label limit.
    func jobName(prefix: String) -> String {
        if let name { return name }
        var n = String((prefix + "-" + pvc).replacingOccurrences(of: ".", with: "-").prefix(63))
        while n.hasSuffix("-") { n.removeLast() }
        return n
    }

    var storeArguments: [String] {
        var a: [String] = []
        if let endpoint { a += ["--endpoint", endpoint] }
        if let region { a += ["--region", region] }
        if pathStyle { a.append("--path-style") }
        if credentialsSecret != nil { a += ["--credentials-dir", Self.credentialsMount] }
        return a
    }

    /// The Job manifest running `chainsnap ARGS` with the PVC (and credentials Secret) mounted.
    func job(name: String, component: String, arguments: [String], comment: String) -> String {
        var metadata: [(String, K8sYAML)] = [("name", .string(name))]
        if let namespace { metadata.append(("namespace", .string(namespace))) }
        let labels: K8sYAML = .map([("app.kubernetes.io/name", .string("chainsnap")), ("app.kubernetes.io/component", .string(component))])
        metadata.append(("labels", labels))
        var mounts: [K8sYAML] = [.map([("name", .string("data")), ("mountPath", .string(mountPath))])]
        var volumes: [K8sYAML] = [.map([("name", .string("data")), ("persistentVolumeClaim", .map([("claimName", .string(pvc))]))])]
        if let credentialsSecret {
            mounts.append(.map([("name", .string("store-credentials")), ("mountPath", .string(Self.credentialsMount)), ("readOnly", .bool(true))]))
            volumes.append(.map([("name", .string("store-credentials")), ("secret", .map([("secretName", .string(credentialsSecret)), ("defaultMode", .int(0o400))]))]))
        }
        if let fromSecret {
            mounts.append(.map([("name", .string("restore-url")), ("mountPath", .string(Self.restoreURLMount)), ("readOnly", .bool(true))]))
            volumes.append(.map([("name", .string("restore-url")), ("secret", .map([
                ("secretName", .string(fromSecret)),
                ("items", .list([.map([("key", .string("url")), ("path", .string("url"))])])),
                ("defaultMode", .int(0o400)),
            ]))]))
        }
        let container: K8sYAML = .map([
            ("name", .string("chainsnap")),
            ("image", .string(image)),
            ("command", .list([.string("chainsnap")])),
            ("args", .list(arguments.map { .string($0) })),
            ("volumeMounts", .list(mounts)),
            ("securityContext", .map([("allowPrivilegeEscalation", .bool(false)), ("capabilities", .map([("drop", .list([.string("ALL")]))]))])),
        ])
        let doc: K8sYAML = .map([
            ("apiVersion", .string("batch/v1")),
            ("kind", .string("Job")),
            ("metadata", .map(metadata)),
            ("spec", .map([
                ("backoffLimit", .int(2)),
                ("ttlSecondsAfterFinished", .int(86400)),
                ("template", .map([
                    ("metadata", .map([("labels", labels)])),
                    ("spec", .map([
                        ("restartPolicy", .string("Never")),
                        ("automountServiceAccountToken", .bool(false)),
                        ("containers", .list([container])),
                        ("volumes", .list(volumes)),
                    ])),
                ])),
            ])),
        ])
        let header = comment.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }.joined(separator: "\n")
        return header + "\n" + doc.text
    }
}
