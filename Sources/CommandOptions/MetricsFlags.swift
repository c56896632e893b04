import ArgumentParser
import Foundation
import Metrics
import RestoreCore

/// `--pushgateway URL` and `--metrics-file PATH`: where a scheduled job reports its outcome.
/// Reporting never changes the job's result: a Pushgateway that cannot be reached or a textfile
/// that cannot be written is a warning on stderr, and the exit code stays the job's.
public struct MetricsFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Push the job's outcome to this Prometheus Pushgateway (group job/JOB/network/NET); unreachable = a warning only.", valueName: "url"))
    public var pushgateway: String?
    @Option(help: ArgumentHelp("Write the job's outcome as a node-exporter textfile (replaced atomically; name it *.prom).", valueName: "path"))
    public var metricsFile: String?
    @Option(help: ArgumentHelp("The network label of the reported metrics (default: the command's --network, if it has one).", valueName: "name"))
    public var metricsNetwork: String?

    public init() {}

    public func validate() throws {
        if let pushgateway { _ = try asUsageError { try Pushgateway(pushgateway) } }
    }

    public func reporter() -> JobReporter {
        JobReporter(metricsFile: metricsFile, pushgateway: pushgateway.flatMap { try? Pushgateway($0) },
                    warn: { writeStderr("chainsnap: " + $0 + "\n") })
    }

    /// Runs a job body and reports its outcome, success or failure; the body's error (and so the
    /// exit code) passes through unchanged after the report.
    public func reporting(job: String, network: String?, _ body: (inout JobOutcome) async throws -> Void) async throws {
        let start = JobOutcome(job: job, network: metricsNetwork ?? network, started: Date().timeIntervalSince1970)
        try await reporter().reporting(start, body)
    }
}

/// `--metrics-file` for restores: progress while running, the result at the end.
public struct RestoreMetricsFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Write the restore's progress and result as a node-exporter textfile (replaced atomically; name it *.prom).", valueName: "path"))
    public var metricsFile: String?
    @Option(name: .customLong("metrics-label"), help: ArgumentHelp("An extra label of the --metrics-file samples, e.g. pod=luxd-0 (repeatable).", valueName: "key=value"))
    public var metricsLabels: [String] = []

    public init() {}

    public func validate() throws { _ = try asUsageError { try RestoreMetrics.parseLabels(metricsLabels) } }

    /// The flags as arguments for the `snapshot restore` a command runs.
    public var arguments: [String] {
        (metricsFile.map { ["--metrics-file", $0] } ?? []) + metricsLabels.flatMap { ["--metrics-label", $0] }
    }

    public func start(target: String) -> RestoreMetrics? {
        RestoreMetrics.start(path: metricsFile, target: target, labels: (try? RestoreMetrics.parseLabels(metricsLabels)) ?? [],
                             warn: { writeStderr("chainsnap: " + $0 + "\n") })
    }

    /// Runs a restore body and writes its result.
    public func reporting(target: String, _ body: (RestoreMetrics?) async throws -> Void) async throws {
        try await RestoreMetrics.reporting(start(target: target), body)
    }

    /// Writes the outcome of a run that decided not to restore (nil: success), e.g. prepare-data's
    /// "leave it alone", so a dashboard sees the init container finished.
    public func decided(target: String, error: (any Error)?) {
        start(target: target)?.finish(result: error == nil ? .success : .failure, reason: error.map(FailureReason.init(error:)) ?? .none,
                                      now: Date().timeIntervalSince1970)
    }
}

extension RestoreMetrics {
    /// An observer for a ProgressReporter.
    public var observer: @Sendable (ProgressState) -> Void {
        { [self] s in self.progress(done: s.done, total: s.total, bytesPerSecond: s.bytesPerSecond, now: s.time) }
    }
}
