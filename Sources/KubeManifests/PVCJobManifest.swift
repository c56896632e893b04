extension PVCJob {
    /// The Job (batch/v1) running `chainsnap ARGUMENTS` with the PVC (and the Secrets) mounted,
    /// as YAML text after a `# `-prefixed header comment.
    public func manifest(name: String, component: String, arguments: [String], comment: String) -> String {
        let header = comment.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }.joined(separator: "\n")
        return header + "\n" + document(name: name, component: component, arguments: arguments).text
    }

    /// The Job as a YAML tree.
    public func document(name: String, component: String, arguments: [String]) -> YAMLNode {
        var metadata: [(String, YAMLNode)] = [("name", .string(name))]
        if let namespace { metadata.append(("namespace", .string(namespace))) }
        let labels: YAMLNode = .map([("app.kubernetes.io/name", .string("chainsnap")), ("app.kubernetes.io/component", .string(component))])
        metadata.append(("labels", labels))
        var mounts: [YAMLNode] = [.map([("name", .string("data")), ("mountPath", .string(mountPath))])]
        var volumes: [YAMLNode] = [.map([("name", .string("data")), ("persistentVolumeClaim", .map([("claimName", .string(pvc))]))])]
        if let credentialsSecret {
            mounts.append(.map([("name", .string("store-credentials")), ("mountPath", .string(Self.credentialsMount)), ("readOnly", .bool(true))]))
            volumes.append(.map([("name", .string("store-credentials")), ("secret", .map([("secretName", .string(credentialsSecret)), ("defaultMode", .int(0o400))]))]))
        }
        if case .secret(let urlSecret) = source {
            mounts.append(.map([("name", .string("restore-url")), ("mountPath", .string(Self.restoreURLMount)), ("readOnly", .bool(true))]))
            volumes.append(.map([("name", .string("restore-url")), ("secret", .map([
                ("secretName", .string(urlSecret)),
                ("items", .list([.map([("key", .string("url")), ("path", .string("url"))])])),
                ("defaultMode", .int(0o400)),
            ]))]))
        }
        let container: YAMLNode = .map([
            ("name", .string("chainsnap")),
            ("image", .string(image)),
            ("command", .list([.string("chainsnap")])),
            ("args", .list(arguments.map { .string($0) })),
            ("volumeMounts", .list(mounts)),
            ("securityContext", .map([("allowPrivilegeEscalation", .bool(false)), ("capabilities", .map([("drop", .list([.string("ALL")]))]))])),
        ])
        return .map([
            ("apiVersion", .string("batch/v1")),
            ("kind", .string("Job")),
            ("metadata", .map(metadata)),
            ("spec", .map([
                ("backoffLimit", .int(2)),
                ("ttlSecondsAfterFinished", .int(86400)),
                ("template", .map([
                    ("metadata", .map([("labels", labels)])),
                    ("spec", .map(podSpec(container: container, volumes: volumes))),
                ])),
            ])),
        ])
    }

    /// The pod spec: the container and volumes plus pull secrets, node selector and security context.
    func podSpec(container: YAMLNode, volumes: [YAMLNode]) -> [(String, YAMLNode)] {
        var spec: [(String, YAMLNode)] = [("restartPolicy", .string("Never")), ("automountServiceAccountToken", .bool(false))]
        if !imagePullSecrets.isEmpty {
            spec.append(("imagePullSecrets", .list(imagePullSecrets.map { .map([("name", .string($0))]) })))
        }
        if !nodeSelector.isEmpty {
            spec.append(("nodeSelector", .map(nodeSelector.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var sc: [(String, YAMLNode)] = []
        if let runAsUser { sc += [("runAsUser", .int(runAsUser)), ("runAsNonRoot", .bool(runAsUser != 0))] }
        if let runAsGroup { sc.append(("runAsGroup", .int(runAsGroup))) }
        if let fsGroup { sc += [("fsGroup", .int(fsGroup)), ("fsGroupChangePolicy", .string("OnRootMismatch"))] }
        if !sc.isEmpty { spec.append(("securityContext", .map(sc))) }
        return spec + [("containers", .list([container])), ("volumes", .list(volumes))]
    }
}
