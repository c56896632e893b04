import Exporter
import Metrics
import SnapshotCore
import Testing

/// Job outcomes → families, and what a failed run carries from the previous report.
@Suite struct JobReportTests {
    func outcome(_ t: Double, fail: Bool = false) -> JobOutcome {
        var o = JobOutcome(job: "snapshot-create", network: "mainnet", started: t, finished: t + 30)
        o.bytesUploaded = 1000
        o.chunksNew = 3
        if fail { o.fail(ChainsnapError(.network, "store unreachable")) }
        return o
    }

    @Test func successThenFailuresCarryLastSuccessAndCount() {
        let first = ExpositionReader(Exposition.render(JobReport.families(outcome(1000))))
        let sel = ["job": "snapshot-create", "network": "mainnet"]
        #expect(first.value(JobReport.lastSuccess, labels: sel) == 1030)
        #expect(first.value(JobReport.consecutiveFailures, labels: sel) == 0)
        #expect(first.value("chainsnap_job_uploaded_bytes", labels: sel) == 1000)
        #expect(first.value("chainsnap_job_duration_seconds", labels: sel) == 30)

        let second = ExpositionReader(Exposition.render(JobReport.families(outcome(2000, fail: true), previous: first)))
        #expect(second.value(JobReport.lastSuccess, labels: sel) == 1030, "a failure keeps the last success")
        #expect(second.value(JobReport.lastAttempt, labels: sel) == 2030)
        #expect(second.value(JobReport.consecutiveFailures, labels: sel) == 1)
        #expect(second.value("chainsnap_job_result", labels: sel.merging(["result": "failure", "reason": "network"]) { $1 }) == 1)
        #expect(second.value("chainsnap_job_success", labels: sel) == 0)

        let third = ExpositionReader(Exposition.render(JobReport.families(outcome(3000, fail: true), previous: second)))
        #expect(third.value(JobReport.consecutiveFailures, labels: sel) == 2)
        #expect(third.value(JobReport.runs, labels: sel.merging(["result": "failure"]) { $1 }) == 2)
        #expect(third.value(JobReport.runs, labels: sel.merging(["result": "success"]) { $1 }) == 1)

        let fourth = ExpositionReader(Exposition.render(JobReport.families(outcome(4000), previous: third)))
        #expect(fourth.value(JobReport.consecutiveFailures, labels: sel) == 0)
        #expect(fourth.value(JobReport.lastSuccess, labels: sel) == 4030)
    }

    @Test func anotherGroupsValuesAreNotCarried() {
        var other = outcome(1000)
        other.network = "testnet"
        let prev = ExpositionReader(Exposition.render(JobReport.families(other)))
        let text = Exposition.render(JobReport.families(outcome(2000, fail: true), previous: prev))
        #expect(!text.contains(JobReport.lastSuccess + "{"), "testnet's success is not mainnet's")
    }

    @Test func pushedFamiliesLeaveGroupingLabelsToTheGateway() {
        let text = Exposition.render(JobReport.families(outcome(1000), identity: false))
        #expect(!text.contains("job=\""))
        #expect(text.contains("chainsnap_job_success 1\n"))
    }

    @Test func neverSucceededHasNoLastSuccess() {
        let text = Exposition.render(JobReport.families(outcome(1000, fail: true)))
        #expect(!text.contains(JobReport.lastSuccess + "{"))
        #expect(text.contains("# TYPE chainsnap_job_runs_total counter"))
    }

    @Test func pushgatewayGroupURLs() throws {
        let gw = try Pushgateway("http://gw:9091/")
        #expect(gw.groupURL(job: "rlp-export", network: "mainnet") == "http://gw:9091/metrics/job/rlp-export/network/mainnet")
        #expect(gw.groupURL(job: "snapshot-prune", network: nil) == "http://gw:9091/metrics/job/snapshot-prune")
        #expect(gw.groupURL(job: "j", network: "a/b") == "http://gw:9091/metrics/job/j/network@base64/YS9i")
        #expect(gw.groupURL(job: "j", network: "") == "http://gw:9091/metrics/job/j/network@base64/=")
        #expect(throws: ChainsnapError.self) { try Pushgateway("gw:9091") }
    }

    @Test func restoreFamiliesWhileRunningAndAfter() {
        let running = Exposition.render(RestoreMetrics.families(target: "/data/db", started: 100, now: 160, done: 50, total: 200,
                                                                bytesPerSecond: 5, result: nil))
        #expect(running.contains("chainsnap_restore_running{target=\"/data/db\"} 1"))
        #expect(!running.contains("chainsnap_restore_result"))
        let done = Exposition.render(RestoreMetrics.families(target: "/data/db", started: 100, now: 200, done: 200, total: 200,
                                                             bytesPerSecond: nil, result: (.failure, .insufficientSpace)))
        #expect(done.contains("chainsnap_restore_running{target=\"/data/db\"} 0"))
        #expect(done.contains("chainsnap_restore_result{target=\"/data/db\",result=\"failure\",reason=\"insufficient_space\"} 1"))
        #expect(done.contains("chainsnap_restore_duration_seconds{target=\"/data/db\"} 100"))
    }
}

/// The exporter's HTTP request-head parser and replies.
@Suite struct HTTPRequestHeadTests {
    @Test func parsesAndBounds() {
        let ok = Array("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(HTTPRequestHead.parse(ok) == .ok(HTTPRequestHead(method: "GET", path: "/metrics", version: "HTTP/1.1")))
        #expect(HTTPRequestHead.parse(Array("GET /metrics HTTP/1.1\r\nHost".utf8)) == .incomplete)
        #expect(HTTPRequestHead.parse(Array(repeating: 65, count: HTTPRequestHead.maxBytes)) == .bad(status: 431))
        #expect(HTTPRequestHead.parse(Array("GET /metrics HTTP/2.0\r\n\r\n".utf8)) == .bad(status: 505))
        #expect(HTTPRequestHead.parse(Array("GET metrics HTTP/1.1\r\n\r\n".utf8)) == .bad(status: 400))
        #expect(HTTPRequestHead.parse(Array("get / HTTP/1.1\r\n\r\n".utf8)) == .bad(status: 400))
        // Fed one byte at a time, the answer is the same once the head is complete.
        var got: [UInt8] = []
        for (i, b) in ok.enumerated() {
            got.append(b)
            #expect((HTTPRequestHead.parse(got) == .incomplete) == (i < ok.count - 1))
        }
    }

    @Test func replies() {
        let r = String(decoding: HTTPReply(status: 405, body: "no\n", allow: "GET, HEAD").encoded(), as: UTF8.self)
        #expect(r == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\nno\n")
        #expect(!String(decoding: HTTPReply(status: 200, body: "body").encoded(head: true), as: UTF8.self).hasSuffix("body"))
        #expect(throws: ChainsnapError.self) { try HTTPServer.parseListen("9464") }
        #expect((try? HTTPServer.parseListen(":9464"))?.host == "0.0.0.0")
    }
}
