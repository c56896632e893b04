import Foundation
import SnapshotCore

extension JobReporter {
    /// Runs a job body and reports its outcome, success or failure: `finished` is set when the
    /// body returns or throws, and a thrown error marks the outcome failed (with its reason). The
    /// body's error (and so the exit code) passes through unchanged after the report.
    public func reporting(_ start: JobOutcome, now: () -> Double = { Date().timeIntervalSince1970 },
                          _ body: (inout JobOutcome) async throws -> Void) async throws {
        var outcome = start
        do {
            try await body(&outcome)
            outcome.finished = now()
            if isEnabled { await report(outcome) }
        } catch {
            outcome.finished = now()
            outcome.fail(error)
            if isEnabled { await report(outcome) }
            throw error
        }
    }
}

extension RestoreMetrics {
    /// The textfile of a restore that is starting (progress zero, written at once), or nil
    /// without a `path` (`--metrics-file` not given).
    public static func start(path: String?, target: String, labels: [(String, String)],
                             warn: @escaping @Sendable (String) -> Void) -> RestoreMetrics? {
        guard let path else { return nil }
        let m = RestoreMetrics(path: path, target: target, started: Date().timeIntervalSince1970, labels: labels, warn: warn)
        m.progress(done: 0, total: 0, bytesPerSecond: 0, now: m.started)
        return m
    }

    /// Runs a restore body and writes its result to `metrics` (when there is a file): success, or
    /// failure with the reason of the thrown error, which passes through unchanged.
    public static func reporting(_ metrics: RestoreMetrics?, _ body: (RestoreMetrics?) async throws -> Void) async throws {
        do {
            try await body(metrics)
            metrics?.finish(result: .success, reason: .none, now: Date().timeIntervalSince1970)
        } catch {
            metrics?.finish(result: .failure, reason: FailureReason(error: error), now: Date().timeIntervalSince1970)
            throw error
        }
    }

    /// `--metrics-label NAME=VALUE` pairs: each a Prometheus label name other than `target` (which
    /// every sample already carries) and a value; else an `.invalidArgument` error naming the pair.
    public static func parseLabels(_ pairs: [String]) throws -> [(String, String)] {
        try pairs.map { l in
            let kv = l.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, MetricName.isValidLabel(String(kv[0])), kv[0] != "target" else {
                throw ChainsnapError(.invalidArgument, "--metrics-label '\(l)' must look like name=value, with a Prometheus label name other than target")
            }
            return (String(kv[0]), String(kv[1]))
        }
    }
}
