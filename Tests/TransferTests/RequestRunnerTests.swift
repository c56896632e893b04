import Foundation
import SnapshotCore
import TestSupport
import Testing
import Transfer

@Suite("RequestRunner and ETag pinning against the fault server", .requires("python3"))
struct RequestRunnerTests {
    @Test func singleRequestsAreRetried() async throws {
        try await withFaultServer(size: 100_000) { server, data in
            let runner = RequestRunner(retry: quickRetry)
            for mode in ["500", "drop", "429"] {
                let r = try await runner.send("GET", server.url(mode, times: 2, "data.bin"))
                #expect(r.status == 200, "\(mode)")
                #expect(r.body == data, "\(mode)")
            }
            // Retried out: the last answer is returned for the caller to turn into an error.
            let failing = try await runner.send("GET", server.url("500", "data.bin"))
            #expect(failing.status == 500)
            let err = HTTPFailure.error(method: "GET", url: server.url("500", "data.bin"), status: failing.status, body: failing.body)
            #expect(err.message.contains("InternalError"))
            let head = try await runner.send("HEAD", server.url("ok", "data.bin"))
            #expect(head.headers["content-length"] == String(data.count))
        }
    }

    @Test func gateLowersParallelRequestsOnSlowDown() async throws {
        try await withFaultServer(size: 10_000) { server, data in
            let gate = RequestGate(maximum: 8)
            let runner = RequestRunner(retry: quickRetry, gate: gate)
            let url = server.url("503", times: 3, "data.bin")
            try await withThrowingTaskGroup(of: HTTPResponse.self) { g in
                for _ in 0..<16 { g.addTask { try await runner.send("GET", url) } }
                for try await r in g {
                    #expect(r.status == 200 && r.body == data)
                }
            }
            #expect(gate.lowestLimit < 8, "SlowDown lowered the bound (lowest \(gate.lowestLimit))")
        }
    }

    @Test func pinnedETagDetectsAReplacementBetweenCalls() async throws {
        try await withFaultServer(size: 100_000) { server, data in
            let url = server.url("etag", times: 1, "data.bin")
            let first = Collected()
            try await ParallelFetcher(options: TransferOptions(retry: quickRetry))
                .fetchAll([TransferRequest(url: url, range: 0..<1000, expectedETag: "\"v1\"")]) { r, b in first.add(r.tag, b) }
            #expect(first.assembled() == Array(data[0..<1000]))
            let err = await chainsnapError {
                try await ParallelFetcher(options: TransferOptions(retry: quickRetry))
                    .fetchAll([TransferRequest(url: url, range: 1000..<2000, expectedETag: "\"v1\"")]) { _, _ in }
            }
            #expect(err?.code == .corrupt, "\(String(describing: err))")
        }
    }
}
