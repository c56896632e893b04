/// The gates a replaced pod passes, in order, before the next pod may go. Ready alone only
/// means the TCP port is open; a pod counts as back when it is also healthy, within `maxLag`
/// blocks of its peers, and still advancing.
public enum Gate: String, Sendable, CaseIterable {
    case replaced = "new pod"
    case ready = "Ready"
    case healthy = "healthy"
    case caughtUp = "within max-lag"
    case advancing = "advancing"
}

/// Follows one pod after its deletion, sample by sample, and says which gate it is waiting
/// for. A plain state machine: the roll loop feeds it samples; tests feed it values.
public struct ReplacementTracker: Sendable {
    public let pod: String
    public let oldUID: String
    public let maxLag: UInt64
    /// When the pod was deleted (monotonic seconds).
    public let started: Double
    /// First height seen after the other gates passed, and when — the "still advancing" baseline.
    private var baseline: (uid: String, height: UInt64, at: Double, peersTop: UInt64)?
    /// When each gate was first passed (monotonic seconds).
    public private(set) var passedAt: [Gate: Double] = [:]

    public init(pod: String, oldUID: String, maxLag: UInt64, started: Double) {
        self.pod = pod
        self.oldUID = oldUID
        self.maxLag = maxLag
        self.started = started
    }

    /// Where the pod stands.
    public enum State: Sendable, Equatable {
        /// Waiting for `gate`; `saw` says what the last sample showed.
        case waiting(Gate, saw: String)
        case done
    }

    /// Feeds one sample (nil = no pod of that name exists now) with the highest height of the
    /// *other* pods of the network.
    public mutating func observe(_ sample: PodSample?, peersTop: UInt64?) -> State {
        guard let s = sample, s.uid != oldUID, s.phase != "Terminating" else {
            let saw = sample == nil ? "no pod yet" : (sample!.uid == oldUID ? "old pod (uid \(oldUID.prefix(8))) still \(sample!.phase)" : "terminating")
            return .waiting(.replaced, saw: saw)
        }
        mark(.replaced, s.at)
        guard s.ready else { return .waiting(.ready, saw: "\(s.phase), not Ready") }
        mark(.ready, s.at)
        guard s.healthy else { return .waiting(.healthy, saw: "/ext/health not healthy" + (s.error.map { ": \($0)" } ?? "")) }
        mark(.healthy, s.at)
        guard let h = s.height else { return .waiting(.caughtUp, saw: "height unknown" + (s.error.map { ": \($0)" } ?? "")) }
        let top = max(peersTop ?? h, h)
        guard top - h <= maxLag else { return .waiting(.caughtUp, saw: "height \(h), \(top - h) behind peers at \(top)") }
        mark(.caughtUp, s.at)
        guard let b = baseline, b.uid == s.uid else {
            baseline = (s.uid, h, s.at, top)
            return .waiting(.advancing, saw: "height \(h); checking it advances")
        }
        // Advancing: its height grew. A chain that makes no blocks while idle (coreth without
        // transactions) does not grow anywhere: a pod at the head of peers that stood still too counts.
        let idleAtHead = h >= top && top == b.peersTop && s.at > b.at
        guard h > b.height || idleAtHead else {
            return .waiting(.advancing, saw: "height \(h) unchanged for \(Int(s.at - b.at)) s while peers are at \(top)")
        }
        mark(.advancing, s.at)
        return .done
    }

    private mutating func mark(_ g: Gate, _ t: Double) {
        if passedAt[g] == nil { passedAt[g] = t }
    }

    /// Seconds spent waiting for each gate (from the previous gate's pass, or the deletion).
    public var gateDurations: [(Gate, Double)] {
        var prev = started
        var out: [(Gate, Double)] = []
        for g in Gate.allCases {
            guard let t = passedAt[g] else { break }
            out.append((g, max(0, t - prev)))
            prev = t
        }
        return out
    }
}
