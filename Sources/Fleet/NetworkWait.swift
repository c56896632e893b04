import Foundation
import KubeClient
import SnapshotCore

extension FleetRoller {
    /// Waits until the network's StatefulSet has `replicas` pods and every one passes the gates
    /// (Ready, healthy, within `maxLag` of its peers, and — for a pod that was not up when the
    /// wait began — advancing), polling every `interval`, for at most `podTimeout` seconds; then
    /// throws naming each pod that did not pass and its gate. Used by `fleet deploy` and
    /// `fleet scale` after helm changed the release.
    public func waitForNetwork(namespace: String, statefulSet: String, replicas: Int, options: RollOptions) async throws {
        let start = monotonicSeconds()
        var last = ""
        var state = NetworkWait(replicas: replicas)
        while true {
            let sts = try await self.statefulSet(namespace: namespace, name: statefulSet)
            let verdicts = try await self.verdicts(sts, maxLag: options.maxLag)
            guard let seen = state.observe(verdicts) else {
                log("\(namespace): \(verdicts.count) pods passed the gates after \(fmt(monotonicSeconds() - start))")
                return
            }
            if seen != last { log("\(namespace): waiting: \(seen)"); last = seen }
            guard monotonicSeconds() - start < options.podTimeout else {
                throw ChainsnapError(.rpc, "\(namespace)/\(statefulSet) did not pass the gates within \(Int(options.podTimeout)) s: \(seen)",
                                     object: "\(namespace)/\(statefulSet)",
                                     hint: "look with `chainsnap fleet status -n \(namespace)` and `kubectl -n \(namespace) logs POD --all-containers`; "
                                        + "fix the pod, then run the command again (the networks it already passed are left as they are)")
            }
            try await Task.sleep(nanoseconds: UInt64(options.interval * 1e9))
        }
    }

}

/// The gates of a network wait, look by look: pods that were up at the first look need only
/// stay up; a pod that was not (new, restarting) must also be seen advancing — its height
/// higher than when it first passed the other gates — so a node that comes up stuck is not
/// taken for healthy. On a chain that makes no blocks while idle, a pod at the head of a network
/// that stood still too for `idleSeconds` counts (a network making blocks grows within that).
/// A plain value: tests feed it verdicts.
public struct NetworkWait: Sendable {
    public let replicas: Int
    public let idleSeconds: Double
    /// Pod UIDs that need no advancing check (up at the first look, or seen advancing).
    var settled: Set<String>?
    /// Height of a pod (by UID) when it first passed the other gates, and its network's top then.
    var firstHeight: [String: (height: UInt64, top: UInt64, at: Double)] = [:]

    public init(replicas: Int, idleSeconds: Double = 10) {
        self.replicas = replicas
        self.idleSeconds = idleSeconds
    }

    /// What the network still waits for (`2 of 3 pods exist`, `luxd-3: gate 'advancing': …`), nil when done.
    public mutating func observe(_ verdicts: [PodVerdict]) -> String? {
        if settled == nil { settled = Set(verdicts.filter(\.ok).map(\.sample.uid)) }
        var bad = verdicts.compactMap(\.failure)
        for v in verdicts where v.ok && !(settled?.contains(v.sample.uid) ?? false) {
            let h = v.sample.height ?? 0, top = h + (v.lag ?? 0)
            guard let first = firstHeight[v.sample.uid] else {
                firstHeight[v.sample.uid] = (h, top, v.sample.at)
                bad.append("\(v.sample.pod): gate '\(Gate.advancing.rawValue)': at height \(h), not yet seen advancing")
                continue
            }
            let idleAtHead = h >= top && top == first.top && v.sample.at - first.at >= idleSeconds
            if h > first.height || idleAtHead { settled?.insert(v.sample.uid) } else {
                bad.append("\(v.sample.pod): gate '\(Gate.advancing.rawValue)': height \(h) unchanged since it came up")
            }
        }
        if verdicts.count < replicas { bad.insert("\(verdicts.count) of \(replicas) pods exist", at: 0) }
        return bad.isEmpty ? nil : bad.joined(separator: ", ")
    }
}
