import Fleet
import Foundation
import NodeData
import SnapshotCore

/// `node prepare-data --recovery-dir`: the pod's side of `fleet recover`. Which request counts
/// is `Recovery.decide` (Fleet); what it does to the data folder is the prepare-data plan's rule 0,
/// carried out by `PrepareDataExecutor` under the restore target's lock.
extension NodePrepareDataCommand {
    /// This pod's recovery request as a plan input, and the command with the request's source
    /// applied (nil input: no request for this pod, or it was honoured before).
    func recoveryInput() -> (RecoveryInput?, NodePrepareDataCommand) {
        guard let recoveryDir else { return (nil, self) }
        let (request, input, line) = Recovery.input(dir: recoveryDir, dataDir: dataDir,
                                                    pod: podName ?? ProcessInfo.processInfo.environment["HOSTNAME"] ?? "")
        logLine("prepare-data: \(line)")
        var cmd = self
        if let request, request.mode == .restore {
            if let f = request.from { cmd.source.from = f; cmd.source.fromFile = nil }
            if let s = request.snapshot { cmd.snapshot = s }
        }
        return (input, cmd)
    }
}
