/// What one look at one pod showed: Kubernetes' view (phase, Ready, image) and the node's
/// (health, height, sync state), taken at `at` (monotonic seconds). A plain value: the gate,
/// lag and quorum decisions are made from these without a network.
public struct PodSample: Sendable, Equatable {
    /// Height of one tracked chain alias (`evm` → `/ext/bc/evm/rpc`).
    public struct ChainHeight: Sendable, Equatable {
        public var alias: String
        public var height: UInt64?
        public init(alias: String, height: UInt64?) {
            self.alias = alias
            self.height = height
        }
    }

    public var namespace: String
    /// The StatefulSet (one network).
    public var network: String
    public var pod: String
    public var uid: String
    /// `Pending`, `Init: restoring 43%, ETA 12m`, `Running`, `Terminating`, `CrashLoopBackOff`, `Missing`.
    public var phase: String
    public var ready: Bool
    public var healthy: Bool
    public var height: UInt64?
    /// nil = unknown (node unreachable); false = in sync.
    public var syncing: Bool?
    /// The sync phase the node reported (`currentBlock/highestBlock`), when syncing.
    public var syncPhase: String?
    public var chains: [ChainHeight]
    /// The restore marker as the init container reported it (`snapshot-id at 2026-12-01T03:30:00Z`).
    public var marker: String?
    public var image: String?
    /// Why the node could not be asked (not running, proxy refused), one line.
    public var error: String?
    public var at: Double

    public init(namespace: String, network: String, pod: String, uid: String = "", phase: String, ready: Bool = false,
                healthy: Bool = false, height: UInt64? = nil, syncing: Bool? = nil, syncPhase: String? = nil,
                chains: [ChainHeight] = [], marker: String? = nil, image: String? = nil, error: String? = nil, at: Double = 0) {
        self.namespace = namespace
        self.network = network
        self.pod = pod
        self.uid = uid
        self.phase = phase
        self.ready = ready
        self.healthy = healthy
        self.height = height
        self.syncing = syncing
        self.syncPhase = syncPhase
        self.chains = chains
        self.marker = marker
        self.image = image
        self.error = error
        self.at = at
    }

    /// The StatefulSet ordinal (`luxd-3` → 3).
    public var ordinal: Int? {
        guard let dash = pod.lastIndex(of: "-") else { return nil }
        return Int(pod[pod.index(after: dash)...])
    }
}

/// One row of `fleet status`: a sample and what it means relative to its network's peers.
public struct PodVerdict: Sendable, Equatable {
    public var sample: PodSample
    /// Blocks behind the highest pod of the same network (nil when the height is unknown).
    public var lag: UInt64?
    /// Ready, healthy, not syncing, height known and within `maxLag`.
    public var ok: Bool
    /// Why not ok, one short phrase (`not ready`, `lag 50 > 10`), nil when ok.
    public var problem: String?
    /// The gate the pod does not pass (nil when ok).
    public var gate: Gate?

    /// `luxd-5: gate 'within max-lag': lag 40 > 10` (nil when ok).
    public var failure: String? { problem.map { "\(sample.pod): gate '\(gate?.rawValue ?? "?")': \($0)" } }
}

/// Lag and health across the pods of each network.
public enum FleetHealth {
    /// The highest height among `samples` of one network.
    public static func top(_ samples: [PodSample]) -> UInt64? { samples.compactMap(\.height).max() }

    /// Verdicts for every sample; lag is computed per (namespace, network).
    public static func evaluate(_ samples: [PodSample], maxLag: UInt64) -> [PodVerdict] {
        var tops: [String: UInt64] = [:]
        for s in samples {
            guard let h = s.height else { continue }
            let k = s.namespace + "/" + s.network
            tops[k] = max(tops[k] ?? 0, h)
        }
        return samples.map { s in
            let lag = s.height.map { (tops[s.namespace + "/" + s.network] ?? $0) - $0 }
            let failed = Self.check(s, lag: lag, maxLag: maxLag)
            return PodVerdict(sample: s, lag: lag, ok: failed == nil, problem: failed?.problem, gate: failed?.gate)
        }
    }

    /// The first reason a pod does not count as up, or nil.
    public static func problem(_ s: PodSample, lag: UInt64?, maxLag: UInt64) -> String? { check(s, lag: lag, maxLag: maxLag)?.problem }

    /// The first gate a pod does not pass and why, or nil.
    public static func check(_ s: PodSample, lag: UInt64?, maxLag: UInt64) -> (gate: Gate, problem: String)? {
        if s.phase == "Missing" { return (.replaced, "missing") }
        if s.phase == "Terminating" { return (.replaced, "terminating") }
        if !s.ready { return (.ready, "not ready (\(s.phase))") }
        if !s.healthy { return (.healthy, s.error.map { "unhealthy: \($0)" } ?? "unhealthy") }
        guard let lag else { return (.caughtUp, "height unknown" + (s.error.map { ": \($0)" } ?? "")) }
        if lag > maxLag { return (.caughtUp, "lag \(lag) > \(maxLag)") }
        if s.syncing == true { return (.caughtUp, "syncing" + (s.syncPhase.map { " \($0)" } ?? "")) }
        return nil
    }
}
