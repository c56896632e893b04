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

extension SupervisorOptions {
    /// With a restore target `dir` (`--expect-head-from`): the head its marker recorded becomes
    /// the head the node must have once healthy, checked for `timeout` seconds; `log` gets the note.
    public mutating func expectHead(fromRestoreMarkerIn dir: String?, timeout: Double, log: (String) -> Void) throws {
        guard let dir else { return }
        let (head, note) = try ExpectedHead.fromRestoreMarker(inTarget: dir)
        log(note)
        expectHead = head
        headCheckTimeout = timeout
    }
}

extension Supervisor {
    /// `node supervise`: in a dry run hands the plan to `out` and returns 0; else runs the node
    /// with `importArguments` (a `chainsnap rlp import`) as its startup step and returns the node's
    /// exit status. A supervisor that stopped the node itself throws why.
    public static func supervise(_ options: SupervisorOptions, importArguments: [String]?, dryRun: Bool,
                                 out: (String) -> Void) async throws -> Int32 {
        if dryRun {
            options.planLines(importing: importArguments.map(SelfExec.display)).forEach(out)
            return 0
        }
        let steps: [any NodeStartupStep] = importArguments.map { [SelfExecImportStep(arguments: $0)] } ?? []
        let outcome = try await Supervisor(options: options, steps: steps).run()
        if let failure = outcome.failure(endpoints: options.endpoints) { throw failure }
        return outcome.nodeStatus
    }
}
