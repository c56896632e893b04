import Exporter
import Metrics
import NodeRPC
import SnapshotCore
import Testing
import TestSupport

/// The alert rules and every exposition shape chainsnap writes, checked by Prometheus' promtool.
@Suite(.requires("promtool")) struct PromtoolTests {
    let rules = Paths.packageRoot + "/charts/lux/files/chainsnap-alerts.yaml"

    @Test func alertRulesPassCheckAndTheirUnitTests() throws {
        let promtool = try Servers.need("promtool", package: "prometheus")
        let check = try run(promtool, ["check", "rules", rules])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 11 rules found"), "\(check.output)")
        let tests = try run(promtool, ["test", "rules", Paths.packageRoot + "/Tests/Alerts/chainsnap-alerts.test.yaml"])
        #expect(tests.status == 0, "\(tests.output)")
    }

    /// Every alert in the rules file has a runbook naming a chainsnap (or kubectl) command, and a unit test.
    @Test func everyAlertHasARunbookAndATest() throws {
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        let tests = try String(contentsOfFile: Paths.packageRoot + "/Tests/Alerts/chainsnap-alerts.test.yaml", encoding: .utf8)
        let names = text.split(separator: "\n").compactMap { l -> String? in
            let t = l.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst("- alert: ".count)) : nil
        }
        #expect(names.count == 11)
        #expect(text.components(separatedBy: "runbook: ").count - 1 == names.count)
        #expect(text.components(separatedBy: "runbook: ").dropFirst().allSatisfy { $0.prefix(400).contains("chainsnap ") })
        for n in names { #expect(tests.contains("alertname: \(n)\n        exp_alerts:\n          - exp_labels"), "\(n) has a firing case") }
    }

    @Test func everyExpositionShapeIsClean() throws {
        var job = JobOutcome(job: "rlp-export", network: "mainnet", started: 1_700_000_000, finished: 1_700_000_090)
        job.bytesRead = 10
        job.bytesWritten = 10
        job.bytesUploaded = 4
        job.blocksExported = 3
        job.headExported = 99
        var failed = job
        failed.fail(ChainsnapError(.rpc, "node down"))
        var newest = StoreStatus(store: "s3://lux-snapshots/main\"net", up: true)
        newest.snapshots = 3
        newest.newest = .init(id: "20261123T232819Z-1a2b3c4d", network: "mainnet", created: 1_700_000_000, height: 5, bytes: 10, storedBytes: 4)
        newest.bundles = [.init(network: "mainnet", up: true, parts: 2, lastBlock: 99, lastBlockTime: 1_700_000_000, updated: 1_700_000_050),
                          .init(network: "broken", up: false, parts: 0, lastBlock: 0, lastBlockTime: 0, updated: nil)]
        let down = StoreStatus(store: "https://cdn/x?sig=REDACTED", up: false, error: "timed out")
        let nodes = [NodeProbe(url: "http://luxd-0:9630", healthy: true, height: 100, syncing: false),
                     NodeProbe(url: "http://luxd-1:9630", healthy: false, error: "connection refused")]
        let shapes: [(String, [MetricFamily])] = [
            ("job success (textfile)", JobReport.families(job)),
            ("job failure (push)", JobReport.families(failed, identity: false)),
            ("restore running", RestoreMetrics.families(target: "/data/db", started: 1, now: 2, done: 1, total: 2, bytesPerSecond: 1, result: nil)),
            ("restore failed", RestoreMetrics.families(target: "/data/db", started: 1, now: 2, done: 1, total: 2, bytesPerSecond: nil,
                                                       result: (.failure, .insufficientSpace))),
            ("exporter", ExporterMetrics.families(stores: [newest, down], nodes: nodes, network: "mainnet", now: 1_700_000_100)),
            ("exporter, nothing answered", ExporterMetrics.families(stores: [down], nodes: [nodes[1]], network: nil, now: 1)),
        ]
        for (what, families) in shapes {
            let r = try Promtool.checkMetrics(Exposition.render(families))
            #expect(r.status == 0 && r.output.isEmpty, "\(what): \(r.output)")
        }
    }
}
