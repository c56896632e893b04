import Synchronization

/// A restore's progress and result as a node-exporter textfile (`--metrics-file`), so a stuck
/// init container shows on a dashboard: rewritten on every progress report while it runs and
/// once more with the result. Safe to call from the progress timer's thread.
public final class RestoreMetrics: Sendable {
    public let path: String
    public let target: String
    public let started: Double
    /// Labels every sample carries besides `target` (e.g. `pod`, to tell pods on one host apart).
    public let labels: [(String, String)]
    private let state = Mutex<(finished: Bool, done: Int64, total: Int64)>((false, 0, 0))
    private let warn: @Sendable (String) -> Void

    public init(path: String, target: String, started: Double, labels: [(String, String)] = [],
                warn: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.target = target
        self.started = started
        self.labels = labels
        self.warn = warn
    }

    /// Reports progress (ignored once the result was written).
    public func progress(done: Int64, total: Int64, bytesPerSecond: Double, now: Double) {
        let text: String? = state.withLock { s in
            guard !s.finished else { return nil }
            s.done = done
            s.total = total
            return Exposition.render(Self.families(target: target, started: started, now: now, done: done, total: total,
                                                   bytesPerSecond: bytesPerSecond, result: nil, labels: labels))
        }
        if let text { write(text) }
    }

    /// Writes the final state: running 0, the result and reason.
    public func finish(result: JobOutcome.Result, reason: FailureReason, now: Double) {
        let text = state.withLock { s in
            s.finished = true
            return Exposition.render(Self.families(target: target, started: started, now: now, done: s.done, total: s.total,
                                                   bytesPerSecond: nil, result: (result, reason), labels: labels))
        }
        write(text)
    }

    private func write(_ text: String) {
        do { try Textfile.write(path, text) } catch { warn("warning: could not write --metrics-file \(path): \(firstLine(error))") }
    }

    /// The restore families (names in README "Monitoring").
    public static func families(target: String, started: Double, now: Double, done: Int64, total: Int64,
                                bytesPerSecond: Double?, result: (JobOutcome.Result, FailureReason)?,
                                labels: [(String, String)] = []) -> [MetricFamily] {
        let l = [("target", target)] + labels
        var f = [
            MetricFamily("chainsnap_restore_running", .gauge, "1 while a restore into this target runs, 0 once it ended.", labels: l, value: result == nil ? 1 : 0),
            MetricFamily("chainsnap_restore_start_timestamp_seconds", .gauge, "Unix time the restore started.", labels: l, value: started),
            MetricFamily("chainsnap_restore_last_update_timestamp_seconds", .gauge, "Unix time of the restore's last report.", labels: l, value: now),
            MetricFamily("chainsnap_restore_done_bytes", .gauge, "Bytes restored so far (verified and written).", labels: l, value: Double(done)),
            MetricFamily("chainsnap_restore_total_bytes", .gauge, "Bytes this restore has to fetch and write (0 until known).", labels: l, value: Double(total)),
        ]
        if let bytesPerSecond {
            f.append(MetricFamily("chainsnap_restore_throughput_bytes_per_second", .gauge, "Average restore rate so far.", labels: l, value: bytesPerSecond))
        }
        if let (r, reason) = result {
            f.append(MetricFamily("chainsnap_restore_duration_seconds", .gauge, "How long the restore ran.", labels: l, value: max(0, now - started)))
            f.append(MetricFamily("chainsnap_restore_success", .gauge, "1 when the restore succeeded (or was already done), 0 when it failed.", labels: l, value: r == .success ? 1 : 0))
            f.append(MetricFamily("chainsnap_restore_result", .gauge, "The restore's result and failure reason (a fixed set of values); always 1.",
                                  labels: l + [("result", r.rawValue), ("reason", reason.rawValue)], value: 1))
        }
        return f
    }
}
