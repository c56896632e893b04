/// One node's answers to health, `eth_blockNumber` and `eth_syncing`.
public struct NodeProbe: Sendable, Equatable {
    public var url: String
    public var healthy: Bool
    public var height: UInt64?
    /// Whether the node reports that it is syncing (nil: no answer).
    public var syncing: Bool?
    /// The first line of the error that stopped the probe.
    public var error: String?

    public init(url: String, healthy: Bool, height: UInt64? = nil, syncing: Bool? = nil, error: String? = nil) {
        self.url = url
        self.healthy = healthy
        self.height = height
        self.syncing = syncing
        self.error = error
    }

    /// Asks the node at `url` (luxd paths) with `timeout` seconds per request.
    public static func probe(_ url: String, timeout: Double) async -> NodeProbe {
        let client = NodeClient(endpoints: NodeEndpoints(baseURL: url), timeout: timeout)
        var row = NodeProbe(url: url, healthy: await client.isHealthy())
        do {
            row.height = try await client.blockNumber()
            let s = try await client.syncing()
            row.syncing = !((s as? Bool) == false)
        } catch {
            row.error = "\(error)".split(separator: "\n").first.map(String.init)
        }
        return row
    }

    /// Probes every URL at once; the answers keep the order of `urls`.
    public static func probeAll(_ urls: [String], timeout: Double) async -> [NodeProbe] {
        await withTaskGroup(of: (Int, NodeProbe).self) { group in
            for (i, u) in urls.enumerated() { group.addTask { (i, await probe(u, timeout: timeout)) } }
            var out = [NodeProbe?](repeating: nil, count: urls.count)
            for await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
    }
}

/// The check before restarting the next pod: every node healthy, answering, not syncing and
/// at most `maxLag` blocks behind the highest one. A pure value over the probes.
public struct NodeHeightCheck: Sendable, Equatable {
    public let probes: [NodeProbe]
    public let maxLag: UInt64

    public init(probes: [NodeProbe], maxLag: UInt64) {
        self.probes = probes
        self.maxLag = maxLag
    }

    /// The highest height any node reported (0 when none answered).
    public var top: UInt64 { probes.compactMap(\.height).max() ?? 0 }

    /// How far `probe` is behind the highest node (nil: it gave no height).
    public func lag(_ probe: NodeProbe) -> UInt64? { probe.height.map { top - $0 } }

    /// Whether `probe` passes.
    public func isOK(_ probe: NodeProbe) -> Bool {
        probe.healthy && probe.error == nil && probe.syncing == false && (lag(probe) ?? .max) <= maxLag
    }

    /// How many nodes fail.
    public var failures: Int { probes.filter { !isOK($0) }.count }
}
