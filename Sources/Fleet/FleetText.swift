import Foundation
import KubeClient
import SnapshotCore

/// What `fleet roll` and `fleet recover` print for a dry run and at the end: plain text from
/// plain values, so the wording is tested without a cluster.
public enum FleetText {
    /// `HH:mm:ss` (UTC), the time of day on progress lines.
    public static func clock(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// A roll's plan: the pods in order and the gates each replacement must pass, and the error
    /// when the roll would refuse to start now.
    public static func rollPlan(_ sts: StatefulSet, verdicts: [PodVerdict], options: RollOptions) throws -> ([String], ChainsnapError?) {
        let ns = sts.metadata.namespace ?? "", name = sts.metadata.name
        let order = try RollPlan.order(verdicts.map(\.sample.pod), fromPod: options.fromPod)
        var out = ["plan: roll \(ns)/\(name), \(order.count) pods, one at a time:"]
        for (i, p) in order.enumerated() {
            out.append("  \(i + 1). delete \(p); wait up to \(Int(options.podTimeout)) s for: new pod, Ready, /ext/health healthy, within \(options.maxLag) blocks of its peers, advancing")
        }
        if let first = order.first,
           case .refused(let why) = Quorum.canRoll(first, verdicts: verdicts, replicas: sts.spec.replicas ?? verdicts.count) {
            return (out, ChainsnapError(.invalidArgument, "the roll would refuse to start now: \(why)", object: "\(ns)/\(first)",
                                        hint: "dry run: nothing was changed"))
        }
        out.append("the roll could start now: every pod other than \(order.first ?? "-") is up")
        return (out, nil)
    }

    /// `rolled 5 pods of NS/luxd in 21.7 s: 19.3 s waiting on the replacements' gates (…), 1.2 s checking …`.
    public static func rollSummary(_ results: [PodRollResult], namespace: String, statefulSet: String, seconds total: Double) -> String {
        var perGate: [Gate: Double] = [:]
        for r in results { for (g, d) in r.gates { perGate[g, default: 0] += d } }
        let pre = results.reduce(0) { $0 + $1.precheckSeconds }
        let waited = perGate.values.reduce(0, +)
        return String(format: "rolled %d pods of %@/%@ in %.1f s: %.1f s waiting on the replacements' gates (", results.count, namespace, statefulSet, total, waited)
            + Gate.allCases.map { String(format: "%@ %.1f s", $0.rawValue, perGate[$0] ?? 0) }.joined(separator: ", ")
            + String(format: "), %.1f s checking the other pods before each deletion", pre)
    }

    /// A recovery's plan, and whether it would be refused now.
    public static func recoverPlan(_ sts: StatefulSet, pod: String, request: RecoveryRequest, verdicts: [PodVerdict],
                                   options: RollOptions, force: Bool) -> [String] {
        let ns = sts.metadata.namespace ?? ""
        var out = ["plan: write \(request.json) as key \(pod) of configmap \(ns)/\(Recovery.configMapName); delete \(pod); "
            + "wait up to \(Int(options.podTimeout)) s for: new pod, Ready, healthy, within \(options.maxLag) blocks, advancing; remove the key"]
        if case .refused(let why) = Quorum.canRecover(pod, verdicts: verdicts, replicas: sts.spec.replicas ?? verdicts.count) {
            out.append("it would refuse now\(force ? " (but --force is given)" : ""): \(why)")
        }
        return out
    }
}

extension RecoveryRequest {
    /// Why `from` cannot go into a request (nil when it can): not an object-store or HTTP URL, or
    /// it carries credentials — the request is stored in a ConfigMap anyone reading the namespace sees.
    public static func sourceProblem(_ from: String) -> String? {
        if !["s3://", "https://", "http://", "file://"].contains(where: from.hasPrefix) {
            return "--from '\(from)' must be an s3://, https://, http:// or file:// URL"
        }
        if from.contains("?") || from.contains("@") {
            return "--from must not carry credentials (a query string or user:password): the request is stored in ConfigMap "
                + "chainsnap-recovery. Keep a presigned URL in the chart's initMode.fromSecret and run fleet recover with --snapshot ID (or --snapshot latest) instead"
        }
        return nil
    }
}
