import SnapshotCore

/// Whether a network can afford to lose one pod now. A plain decision from samples.
public enum Quorum {
    /// Pods a BFT network of `n` validators needs up: n − ⌊(n−1)/3⌋ (5 → 4, 4 → 3, 3 → 2, 1 → 1).
    public static func needed(of n: Int) -> Int { n - max(0, (n - 1) / 3) }

    /// The verdict for taking `pod` down.
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refused, with the pods in the way and why (`luxd-2: lag 50 > 10`).
        case refused(String)
    }

    /// `roll`'s rule: every *other* pod of the network is up (ready, healthy, within `maxLag`),
    /// and the StatefulSet has all its replicas — never take a validator down while another is
    /// down or behind.
    public static func canRoll(_ pod: String, verdicts: [PodVerdict], replicas: Int) -> Verdict {
        let others = verdicts.filter { $0.sample.pod != pod }
        let bad = others.filter { !$0.ok }.map { "\($0.sample.pod): \($0.problem ?? "not ok")" }
        if !bad.isEmpty { return .refused(bad.joined(separator: "; ")) }
        if verdicts.count < replicas {
            return .refused("only \(verdicts.count) of \(replicas) pods exist")
        }
        return .allowed
    }

    /// `recover`'s rule: after `pod` goes down, at least `needed(of: replicas)` other pods are up.
    public static func canRecover(_ pod: String, verdicts: [PodVerdict], replicas: Int) -> Verdict {
        let others = verdicts.filter { $0.sample.pod != pod }
        let up = others.filter(\.ok).count
        let need = needed(of: max(replicas, verdicts.count))
        if up >= need { return .allowed }
        let bad = others.filter { !$0.ok }.map { "\($0.sample.pod): \($0.problem ?? "not ok")" }
        return .refused("only \(up) other pods are up and the network needs \(need) of \(max(replicas, verdicts.count))"
                        + (bad.isEmpty ? "" : " (\(bad.joined(separator: "; ")))"))
    }
}

/// The order a roll replaces pods in: by ordinal, starting at `fromPod` when given.
public enum RollPlan {
    public static func order(_ pods: [String], fromPod: String?) throws -> [String] {
        let sorted = pods.sorted { (ordinal($0) ?? Int.max, $0) < (ordinal($1) ?? Int.max, $1) }
        guard let fromPod else { return sorted }
        guard let i = sorted.firstIndex(of: fromPod) else {
            throw ChainsnapError(.invalidArgument, "--from-pod \(fromPod) is not one of the StatefulSet's pods (\(sorted.joined(separator: ", ")))",
                                 object: fromPod)
        }
        return Array(sorted[i...])
    }

    static func ordinal(_ name: String) -> Int? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        return Int(name[name.index(after: dash)...])
    }
}

