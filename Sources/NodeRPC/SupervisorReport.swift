import SnapshotCore

extension SupervisorOptions {
    /// What `node supervise --dry-run` prints: the node command, the health check, the aliases
    /// and the import (`importing`: the command line that would run, nil for none).
    public func planLines(importing: String?) -> [String] {
        ["node:    \(([executable] + arguments).joined(separator: " "))",
         "health:  \(endpoints.baseURL)\(endpoints.healthPath) within \(Int(healthTimeout)) s",
         "aliases: \(aliases.isEmpty ? "none" : aliases.map(\.description).joined(separator: ", "))",
         "import:  \(importing ?? "none")"]
    }
}

extension SupervisorOutcome {
    /// The error a supervisor that stopped the node itself ends with (nil when the node exited on
    /// its own: the supervisor then exits with the node's status).
    public func failure(endpoints: NodeEndpoints) -> ChainsnapError? {
        switch self {
        case .nodeExited:
            return nil
        case .neverHealthy(let seconds, _):
            return ChainsnapError(.rpc, "the node was not healthy at \(endpoints.baseURL)/ext/health after \(Int(seconds)) s and was stopped",
                                  hint: "read the node's log above; if it is just slow (a large import or restore), raise --health-timeout")
        case .wrongHead(let message, _):
            return ChainsnapError(.chainMismatch, message + "; the node was stopped before any alias or import",
                                  hint: "restore another snapshot (chainsnap node prepare-data --clear-data), or check the snapshot's recorded head (chainsnap snapshot list)")
        }
    }
}
