import NodeRPC
import RestoreCore
import SnapshotCore

/// One `node prepare-data` run once its flags are read: the plan is made under the restore
/// target's lock from what the folder holds (`PrepareDataExecutor.prepare`) and these inputs, and
/// a planned restore runs as the `chainsnap snapshot restore` of `call` through `runRestore` (the
/// running binary; a closure in tests). Each outcome is reported once: a run that starts the
/// restore leaves the report to it (`--metrics-file` is passed on); every other run, successful
/// or not, calls `decided` with its error (nil: success). A dry run names the restore it would run
/// and reports nothing.
public struct PrepareDataRun: Sendable {
    /// Whether a source to restore from was given (`--from` or `--from-file`).
    public var sourceGiven: Bool
    /// The snapshot id asked for (nil or `latest`: the newest).
    public var snapshot: String?
    public var clearData = false
    public var clearDataToken: String?
    /// This pod's one-shot recovery request (`fleet recover`), the plan's first input.
    public var recovery: RecoveryInput?
    /// The restore to run when the plan restores.
    public var call: RestoreCall

    public init(sourceGiven: Bool, snapshot: String?, clearData: Bool = false, clearDataToken: String? = nil,
                recovery: RecoveryInput? = nil, call: RestoreCall) {
        self.sourceGiven = sourceGiven
        self.snapshot = snapshot
        self.clearData = clearData
        self.clearDataToken = clearDataToken
        self.recovery = recovery
        self.call = call
    }

    /// Carries the run out with `executor`. A restore that exits non-zero is a `ReportedExit`
    /// with its status (its message is already on stderr).
    public func run(_ executor: PrepareDataExecutor,
                    runRestore: @Sendable ([String]) async throws -> Int32 = { try await SelfExec.run($0) },
                    decided: ((any Error)?) -> Void) async throws {
        let restoring = Locked(false)
        do {
            try await executor.prepare(planning: { folder in
                PrepareDataPlan.make(PrepareDataInputs(layout: executor.layout, folder: folder, sourceGiven: sourceGiven, snapshot: snapshot,
                                                       clearData: clearData, clearDataToken: clearDataToken, recovery: recovery))
            }, restore: {
                restoring.withLock { $0 = !executor.dryRun }
                try await restore(executor, runRestore)
            })
        } catch {
            if !restoring.withLock({ $0 }), !executor.dryRun { decided(error) }
            throw error
        }
        if !restoring.withLock({ $0 }), !executor.dryRun { decided(nil) }
    }

    /// Runs the restore (in a dry run: says what it would run).
    func restore(_ executor: PrepareDataExecutor, _ runRestore: @Sendable ([String]) async throws -> Int32) async throws {
        let args = call.arguments(target: executor.layout.target)
        if executor.dryRun { return executor.log("would run: \(SelfExec.display(args))") }
        executor.log("running: \(SelfExec.display(args))")
        let status = try await runRestore(args)
        guard status == 0 else {
            executor.log("restore exited with status \(status); see its message above")
            throw ReportedExit(status: status)
        }
        executor.log("restore finished")
    }
}
