import Exporter
import Foundation
import Metrics
import SnapshotCore
import TestSupport
import Testing

@Suite("Reporting a run") struct ReportingTests {
    @Test("a failed job is reported as failed with its reason, and its error passes through unchanged")
    func jobFailure() async throws {
        let t = TempDir("job")
        let reporter = JobReporter(metricsFile: t.sub("job.prom"), pushgateway: nil, warn: { _ in })
        let start = JobOutcome(job: "snapshot-prune", network: "mainnet", started: 100)
        await #expect(throws: ChainsnapError.self) {
            try await reporter.reporting(start, now: { 130 }) { o in
                o.snapshotsRemoved = 2
                throw ChainsnapError(.network, "store unreachable")
            }
        }
        let text = try String(contentsOfFile: t.sub("job.prom"), encoding: .utf8)
        let r = ExpositionReader(text)
        let sel = ["job": "snapshot-prune", "network": "mainnet"]
        #expect(r.value(JobReport.consecutiveFailures, labels: sel) == 1)
        try await reporter.reporting(start, now: { 140 }) { _ in }
        let after = ExpositionReader(try String(contentsOfFile: t.sub("job.prom"), encoding: .utf8))
        #expect(after.value(JobReport.lastSuccess, labels: sel) == 140)
        #expect(after.value(JobReport.consecutiveFailures, labels: sel) == 0)
    }

    @Test("restore labels: Prometheus names other than target, with a value")
    func restoreLabels() throws {
        #expect(try RestoreMetrics.parseLabels(["pod=luxd-0", "zone=a=b"]).map { "\($0.0)|\($0.1)" } == ["pod|luxd-0", "zone|a=b"])
        for bad in ["target=x", "9pod=x", "pod", "pod="] {
            let e = #expect(throws: ChainsnapError.self) { try RestoreMetrics.parseLabels([bad]) }
            #expect(e?.message == "--metrics-label '\(bad)' must look like name=value, with a Prometheus label name other than target")
        }
        #expect(RestoreMetrics.start(path: nil, target: "/t", labels: [], warn: { _ in }) == nil)
    }

    @Test("a restore writes running progress at start and its result at the end; the error passes through")
    func restoreResult() async throws {
        let t = TempDir("restore")
        let m = RestoreMetrics.start(path: t.sub("r.prom"), target: "/data", labels: [("pod", "luxd-0")], warn: { _ in })
        #expect(FileManager.default.fileExists(atPath: t.sub("r.prom")))
        await #expect(throws: ChainsnapError.self) {
            try await RestoreMetrics.reporting(m) { _ in throw ChainsnapError(.insufficientSpace, "full") }
        }
        let text = try String(contentsOfFile: t.sub("r.prom"), encoding: .utf8)
        #expect(text.contains("pod=\"luxd-0\""))
        #expect(text.contains("failure"))
    }

    @Test("exporter config: flags first, then the file; nothing to watch, an unreadable or foreign file is an error")
    func exporterConfig() throws {
        let t = TempDir("exporter")
        #expect(try ExporterConfig.load(nil) == ExporterConfig())
        try Data(#"{"stores": ["file:///s"], "rpc": ["http://n"], "network": "mainnet"}"#.utf8).write(to: URL(fileURLWithPath: t.sub("c.json")))
        let c = try ExporterConfig.load(t.sub("c.json"))
        #expect(c.network == "mainnet")
        let (stores, nodes) = try c.watched(stores: ["s3://b"], rpc: [])
        #expect(stores == ["s3://b", "file:///s"])
        #expect(nodes == ["http://n"])
        #expect(throws: ChainsnapError.self) { try ExporterConfig().watched(stores: [], rpc: []) }
        try Data("[1]".utf8).write(to: URL(fileURLWithPath: t.sub("bad.json")))
        let e = #expect(throws: ChainsnapError.self) { try ExporterConfig.load(t.sub("bad.json")) }
        #expect(e?.message == "--config '\(t.sub("bad.json"))' is not the exporter's JSON")
        let missing = #expect(throws: ChainsnapError.self) { try ExporterConfig.load(t.sub("none.json")) }
        #expect(missing?.message.contains("missing, unreadable or over 1 MiB") == true)
    }
}
