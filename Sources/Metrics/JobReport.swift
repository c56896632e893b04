/// The metric families of a job's outcome (names in README "Monitoring").
///
/// Last success time, consecutive failures and the run counters live across runs: they are
/// carried from the previous report (the textfile being replaced, or the Pushgateway's
/// current group), so a failed run does not erase when the job last succeeded.
public enum JobReport {
    public static let lastAttempt = "chainsnap_job_last_attempt_timestamp_seconds"
    public static let lastSuccess = "chainsnap_job_last_success_timestamp_seconds"
    public static let consecutiveFailures = "chainsnap_job_consecutive_failures"
    public static let runs = "chainsnap_job_runs_total"

    /// The families for `o`. `identity` says whether samples carry `job`/`network` labels
    /// (a textfile: yes; a Pushgateway push: no, its grouping key adds them).
    public static func families(_ o: JobOutcome, previous: ExpositionReader? = nil, identity: Bool = true) -> [MetricFamily] {
        var base: [(String, String)] = []
        if identity {
            base.append(("job", o.job))
            if let n = o.network { base.append(("network", n)) }
        }
        var match = ["job": o.job]
        if let n = o.network { match["network"] = n }
        func prev(_ name: String, _ extra: [String: String] = [:]) -> Double? {
            previous?.value(name, labels: match.merging(extra) { $1 })
        }
        let ok = o.result == .success
        var f: [MetricFamily] = []
        func gauge(_ name: String, _ help: String, _ v: Double, _ labels: [(String, String)] = []) {
            f.append(MetricFamily(name, .gauge, help, labels: base + labels, value: v))
        }
        gauge(lastAttempt, "Unix time the last run of this job finished, successful or not.", o.finished)
        if let s = ok ? o.finished : prev(lastSuccess) {
            gauge(lastSuccess, "Unix time the last successful run of this job finished.", s)
        }
        gauge("chainsnap_job_duration_seconds", "How long the last run took.", o.duration)
        gauge("chainsnap_job_success", "1 when the last run succeeded, 0 when it failed.", ok ? 1 : 0)
        gauge("chainsnap_job_result", "The last run's result (success or failure) and failure reason (a fixed set of values); always 1.",
              1, [("result", o.result.rawValue), ("reason", o.reason.rawValue)])
        gauge(consecutiveFailures, "Failed runs in a row since the last success.", ok ? 0 : (prev(consecutiveFailures) ?? 0) + 1)
        var runs = MetricFamily(runs, .counter, "Runs of this job, by result (carried across runs).")
        for r in [JobOutcome.Result.success, .failure] {
            let before = prev(Self.runs, ["result": r.rawValue]) ?? 0
            runs.samples.append(Sample(base + [("result", r.rawValue)], before + (o.result == r ? 1 : 0)))
        }
        f.append(runs)
        if let v = o.bytesRead { gauge("chainsnap_job_read_bytes", "Bytes the last run read from local files or the node.", Double(v)) }
        if let v = o.bytesWritten { gauge("chainsnap_job_written_bytes", "New bytes the last run wrote to the store, before compression.", Double(v)) }
        if let v = o.bytesUploaded { gauge("chainsnap_job_uploaded_bytes", "Bytes the last run uploaded to the store (compressed).", Double(v)) }
        if let v = o.chunksNew { gauge("chainsnap_job_chunks_new", "Chunks the last run stored that the store did not have.", Double(v)) }
        if let v = o.chunksReused { gauge("chainsnap_job_chunks_reused", "Chunks the last run found already in the store.", Double(v)) }
        if let v = o.blocksExported { gauge("chainsnap_job_blocks_exported", "Blocks the last run exported.", Double(v)) }
        if let v = o.headExported { gauge("chainsnap_job_head_exported", "The highest block number the bundle holds after the last run.", Double(v)) }
        if let v = o.snapshotsRemoved { gauge("chainsnap_job_snapshots_removed", "Snapshots the last run removed (or would remove, with --dry-run).", Double(v)) }
        return f
    }
}
