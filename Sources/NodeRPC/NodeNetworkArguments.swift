import SnapshotCore

/// What `node supervise` adds to the node's own arguments at start: its public IP (from a
/// `POD=IP` table, or a resolution service) and the bootstrap peers, resolved from in-cluster
/// DNS names to the `IP:PORT` list luxd takes (with their node IDs, when given, in the same order).
public struct NodeNetworkArguments: Sendable, Equatable {
    /// One `--bootstrap-peer`: `HOST:PORT`, or `HOST:PORT=NODE-ID`.
    public struct Peer: Sendable, Equatable {
        public var hostPort: String
        public var id: String?

        /// `HOST:PORT=NODE-ID` → (HOST:PORT, NODE-ID); `HOST:PORT` → (HOST:PORT, nil).
        public init(parsing s: String) {
            guard let eq = s.firstIndex(of: "=") else { self.hostPort = s; self.id = nil; return }
            self.hostPort = String(s[..<eq])
            self.id = String(s[s.index(after: eq)...])
        }
    }

    /// The resolution services luxd's `--public-ip-resolution-service` knows.
    public static let resolutionServices = ["opendns", "ifconfigco", "ifconfigme"]

    /// `POD=IP` pairs: the node's public IP when this pod is POD.
    public var publicIPs: [String] = []
    public var publicIPResolutionService: String?
    public var peers: [Peer] = []
    /// The node flags that receive the resolved `IP:PORT` list and the peers' node IDs.
    public var bootstrapFlag = "--bootstrap-ips"
    public var bootstrapIdsFlag = "--bootstrap-ids"
    /// Seconds to keep retrying peers that do not resolve yet.
    public var bootstrapWait: Double = 0

    public init(publicIPs: [String] = [], publicIPResolutionService: String? = nil, peers: [String] = [],
                bootstrapFlag: String = "--bootstrap-ips", bootstrapIdsFlag: String = "--bootstrap-ids", bootstrapWait: Double = 0) {
        self.publicIPs = publicIPs
        self.publicIPResolutionService = publicIPResolutionService
        self.peers = peers.map(Peer.init(parsing:))
        self.bootstrapFlag = bootstrapFlag
        self.bootstrapIdsFlag = bootstrapIdsFlag
        self.bootstrapWait = bootstrapWait
    }

    /// Checks the settings; errors are `.invalidArgument` naming the `node supervise` option.
    public func validate() throws {
        func bad(_ m: String) -> ChainsnapError { ChainsnapError(.invalidArgument, m) }
        for p in peers.map(\.hostPort) where p.split(separator: ":").count != 2 || UInt16(p.split(separator: ":").last ?? "") == nil {
            throw bad("--bootstrap-peer '\(p)' is not HOST:PORT (e.g. luxd-1.luxd-headless.lux.svc.cluster.local:9651)")
        }
        let withIDs = peers.filter { $0.id != nil }.count
        guard withIDs == 0 || withIDs == peers.count else {
            throw bad("give a node ID with every --bootstrap-peer or with none (\(withIDs) of \(peers.count) have one): luxd pairs --bootstrap-ips with --bootstrap-ids")
        }
        for p in peers { if let id = p.id, !id.hasPrefix("NodeID-") { throw bad("--bootstrap-peer node ID '\(id)' must look like NodeID-…") } }
        for p in publicIPs where p.split(separator: "=").count != 2 {
            throw bad("--public-ip-for '\(p)' is not POD=IP (e.g. luxd-0=203.0.113.10)")
        }
        if let s = publicIPResolutionService, !Self.resolutionServices.contains(s) {
            throw bad("--public-ip-resolution-service must be opendns, ifconfigco or ifconfigme")
        }
        guard bootstrapFlag.hasPrefix("--") else { throw bad("--bootstrap-flag must start with --, e.g. --bootstrap-ips") }
        guard bootstrapWait >= 0 else { throw bad("--bootstrap-wait must not be negative") }
    }

    /// Whether `peer` names the pod itself (`selfHost`: the first label of its host name).
    static func isSelf(_ peer: Peer, selfHost: String?) -> Bool {
        selfHost.map { !$0.isEmpty && (peer.hostPort.hasPrefix($0 + ".") || peer.hostPort.hasPrefix($0 + ":")) } ?? false
    }

    /// `base` plus the public IP and bootstrap flags, given each peer's resolved address in order
    /// (`resolved[i]` for `peers[i]`; nil: not resolvable). The pod's own name is skipped. `log` is
    /// the line saying how many peers resolved (nil without peers).
    public func arguments(base: [String], selfHost: String?, resolved: [String?]) -> (arguments: [String], log: String?) {
        var args = base
        if let ip = publicIPs.first(where: { $0.hasPrefix((selfHost ?? "") + "=") })?.split(separator: "=").last {
            args.append("--public-ip=\(ip)")
        } else if let publicIPResolutionService {
            args.append("--public-ip-resolution-service=\(publicIPResolutionService)")
        }
        guard !peers.isEmpty else { return (args, nil) }
        let isSelf = peers.map { Self.isSelf($0, selfHost: selfHost) }
        var ips: [String] = [], ids: [String] = [], skipped: [String] = []
        for (i, p) in peers.enumerated() where !isSelf[i] {
            if let ip = i < resolved.count ? resolved[i] : nil { ips.append(ip); if let id = p.id { ids.append(id) } } else { skipped.append(p.hostPort) }
        }
        let log = "bootstrap peers: \(ips.count) of \(isSelf.filter { !$0 }.count) resolved"
            + (skipped.isEmpty ? "" : "; not resolvable yet, left out: \(skipped.joined(separator: " "))")
        if !ips.isEmpty {
            args.append("\(bootstrapFlag)=\(ips.joined(separator: ","))")
            if !ids.isEmpty { args.append("\(bootstrapIdsFlag)=\(ids.joined(separator: ","))") }
        }
        return (args, log)
    }

    /// `base` plus the flags, resolving the peers now (retried for up to `bootstrapWait` seconds
    /// unless `dryRun`, which shows only what resolves at once); the resolution line goes to `log`.
    public func resolve(base: [String], selfHost: String? = SupervisorPeers.selfHost, dryRun: Bool = false,
                        log: (String) -> Void) async -> [String] {
        guard !peers.isEmpty else { return arguments(base: base, selfHost: selfHost, resolved: []).arguments }
        let resolved = await SupervisorPeers.resolveAligned(peers.map(\.hostPort), selfHost: selfHost, wait: dryRun ? 0 : bootstrapWait)
        let (args, line) = arguments(base: base, selfHost: selfHost, resolved: resolved)
        if let line { log(line) }
        return args
    }
}
