import ArgumentParser
import Fleet
import Foundation
import LocalFS
import SnapshotCore

/// `node prepare-data --recovery-dir`: the pod's side of `fleet recover`. The decision (is there
/// a request for this pod, was it honoured before) is `Recovery.decide`; this does the wipe of
/// the chain data paths (never the protected ones), the restore, and the record.
extension NodePrepareDataCommand {
    /// True when a recovery request was acted on (the usual decision is then skipped).
    func honourRecoveryRequest(target: String) async throws -> Bool {
        guard let recoveryDir else { return false }
        let pod = podName ?? ProcessInfo.processInfo.environment["HOSTNAME"] ?? ""
        guard !pod.isEmpty else {
            say("recovery: no pod name (--pod-name or HOSTNAME); ignoring \(recoveryDir)")
            return false
        }
        let entries = Recovery.readEntries(dir: recoveryDir)
        let record = Recovery.readRecord(dataDir: dataDir)
        let decision: Recovery.Decision
        do {
            decision = try Recovery.decide(entries: entries, pod: pod, record: record)
        } catch let e as ChainsnapError {
            // A malformed request must not block the node: report it, carry on as usual.
            say("recovery: ignoring the request for \(pod): \(e.message)")
            return false
        }
        switch decision {
        case .none:
            say("recovery: no request for \(pod) in \(recoveryDir)\(entries.isEmpty ? "" : " (requests for other pods are not ours)")")
            return false
        case .alreadyHonoured(let r):
            say("recovery: request \(r.id) for \(pod) was already honoured (\(record?.at ?? "?")); not repeating it")
            return false
        case .honour(let r, let wipe):
            say("decision: recover — request \(r.id) (\(r.mode.rawValue), requested \(r.requestedAt)) for this pod (\(pod))")
            var cmd = self
            if r.mode == .restore {
                if let f = r.from { cmd.source.from = f; cmd.source.fromFile = nil }
                if let s = r.snapshot { cmd.snapshot = s }
                guard cmd.source.isGiven else {
                    throw ChainsnapError(.invalidArgument, "recovery request \(r.id) asks for a restore but neither it nor --from names a source",
                                         hint: "run `chainsnap fleet recover` with --from URL, or set the chart's initMode.from")
                }
            }
            let now = { formatTime(Date()) }
            if wipe {
                try removeChainData()
                if !dryRun { try Recovery.writeRecord(RecoveryRecord(id: r.id, state: .wiped, at: now()), dataDir: dataDir) }
            } else {
                say("recovery: the chain data was already removed for request \(r.id) by an earlier start; continuing")
            }
            if r.mode == .restore {
                try await cmd.restore(into: target, log: say)
            } else {
                say("recovery: chain data is empty; the supervisor's RLP import (rlpImport) rebuilds it when the node starts")
            }
            if !dryRun { try Recovery.writeRecord(RecoveryRecord(id: r.id, state: .done, at: now()), dataDir: dataDir) }
            say("recovery: request \(r.id) honoured")
            return true
        }
    }

    /// Removes the --chain-data paths that exist (validate() guarantees none overlaps --protect).
    func removeChainData() throws {
        let fm = FileManager.default
        let present = chainData.filter { FS.lstatus((dataDir as NSString).appendingPathComponent($0)) != nil }
        say("recovery: removing \(present.isEmpty ? "nothing (no chain data present)" : present.joined(separator: ", ")); keeping \(protected.joined(separator: ", ")) and everything else")
        for p in present {
            let full = (dataDir as NSString).appendingPathComponent(p)
            if dryRun { say("would remove \(full)"); continue }
            do { try fm.removeItem(atPath: full) } catch {
                throw ChainsnapError(.io, "could not remove \(full)", object: full, hint: "check the volume is writable by this container", underlying: error)
            }
            say("removed \(full)")
        }
    }
}

extension NodePrepareDataCommand {
    func say(_ s: String) { logLine("prepare-data: \(s)") }
}

private func formatTime(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: d)
}
