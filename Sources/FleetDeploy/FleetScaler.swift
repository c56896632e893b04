import Foundation
import SnapshotCore

/// `chainsnap fleet scale -n NS N`: changes a release's `replicas` through helm
/// (`helm upgrade RELEASE CHART -n NS --reuse-values --set replicas=N`, so nothing else of
/// the release changes) and waits for the pods with the fleet gates.
///
/// Scaling down removes validators (the highest pod indexes; their PVCs stay): it needs
/// `allowValidatorRemoval`, like the Lux operator's `allowValidatorRemoval`.
public struct FleetScaler: Sendable {
    public var helm: Helm?
    public var waiter: (any FleetWaiter)?
    public var out: @Sendable (String) -> Void
    public var log: @Sendable (String) -> Void

    public init(helm: Helm?, waiter: (any FleetWaiter)?, out: @escaping @Sendable (String) -> Void, log: @escaping @Sendable (String) -> Void) {
        self.helm = helm
        self.waiter = waiter
        self.out = out
        self.log = log
    }

    /// The helm arguments for the change.
    public static func arguments(release: String, chart: String, namespace: String, replicas: Int) -> [String] {
        ["upgrade", release, chart, "-n", namespace, "--reuse-values", "--set", "replicas=\(replicas)"]
    }

    public func scale(namespace: String, replicas: Int, release: String, chart: String, allowRemoval: Bool,
                      dryRun: Bool, fleetReplicas: Int?) async throws {
        guard replicas >= 1 && replicas <= 100 else {
            throw ChainsnapError(.invalidArgument, "replicas must be between 1 and 100, not \(replicas)")
        }
        let args = Self.arguments(release: release, chart: chart, namespace: namespace, replicas: replicas)
        var current: Int?
        var why = "helm is not on PATH"
        if let helm {
            if !dryRun { log("using \(helm.path) (\(try helm.checkVersion()))") }
            let r = helm.currentValues(release: release, namespace: namespace)
            current = r.values?["replicas"]?.intValue
            why = r.error ?? "the release has no replicas value"
        }
        if dryRun {
            out("helm " + shellQuoted(args))
            out("replicas: \(current.map(String.init) ?? "unknown (\(why))") -> \(replicas)")
        }
        if let current, replicas < current, !allowRemoval {
            let pods = current - replicas == 1 ? "pod luxd-\(replicas)" : "pods luxd-\(replicas)…luxd-\(current - 1)"
            throw ChainsnapError(.invalidArgument, "scaling \(namespace) from \(current) to \(replicas) validators removes \(pods)",
                                 object: namespace,
                                 hint: "a network needs its quorum: pass --allow-validator-removal when removing validators is intended (their PVCs are kept)")
        }
        if let fleetReplicas, fleetReplicas != replicas {
            out("note: the fleet file says \(fleetReplicas) validators for \(namespace); the next `fleet deploy` sets \(fleetReplicas) again unless the fleet file changes")
        }
        guard !dryRun else { return }
        guard let helm else { throw ChainsnapError(.notFound, "helm is not on PATH", object: "helm", hint: Helm.installHint) }
        guard let current else {
            throw ChainsnapError(.notFound, "cannot read release \(release)'s values in \(namespace): \(why)", object: release,
                                 hint: "check -n and --release (`helm list -n \(namespace)`); a network that is not installed yet is deployed with `chainsnap fleet deploy`")
        }
        log("\(namespace): helm \(shellQuoted(args))")
        let r = try helm.run(args)
        for line in (r.stdout + r.stderr).split(separator: "\n") { log("    helm: \(line)") }
        guard r.status == 0 else {
            throw ChainsnapError(.io, "helm upgrade failed for release \(release) in \(namespace): \(r.errorText)", object: release,
                                 hint: "nothing was scaled; fix the cause and run the same command again")
        }
        out("\(namespace): replicas \(current) -> \(replicas)")
        if let waiter {
            log("\(namespace): waiting for \(replicas) pods to pass the gates")
            try await waiter.waitForNetwork(namespace: namespace, statefulSet: FleetDeployer.statefulSet, replicas: replicas)
            out("\(namespace): \(replicas) pods healthy")
        } else {
            out("\(namespace): not waiting for the new pods (no Kubernetes API access from here): check them with `chainsnap fleet status -n \(namespace)`")
        }
    }
}
