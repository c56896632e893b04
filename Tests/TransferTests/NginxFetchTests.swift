import Foundation
import SnapshotCore
import TestSupport
import Testing
import Transfer

@Suite("Parallel fetcher against nginx", .requires("nginx", "openssl"))
struct NginxFetchTests {
    @Test func plainHTTPRanges() async throws {
        try await withNginx(size: 4 << 20) { nginx, data in
            let reqs = rangedRequests(nginx.plainURL + "/data.bin", size: data.count, part: 512 << 10)
            let fetched1 = try await fetchAssembled(reqs, options: TransferOptions(connections: 8))
            #expect(fetched1 == data)
        }
    }

    @Test func poolKeepsConnectionsBetweenCalls() async throws {
        try await withNginx(size: 1 << 20) { nginx, data in
            let pool = ConnectionPool()
            for base in [nginx.plainURL, nginx.tlsURL] {
                let reqs = rangedRequests(base + "/data.bin", size: data.count, part: 128 << 10)
                let o = TransferOptions(connections: 4, caFile: nginx.caFile, pool: pool)
                let first = try await ParallelFetcher(options: o).fetchAll(reqs) { _, _ in }
                #expect(first.connectionsOpened >= 1 && first.connectionsOpened <= 4)
                // Range by range, as an archive reader does: no new connection after the first.
                var opened = 0
                for r in reqs {
                    let c = Collected()
                    let s = try await ParallelFetcher(options: o).fetchAll([r]) { r, b in c.add(r.tag, b) }
                    #expect(c.assembled() == Array(data[Int(r.range!.lowerBound)..<Int(r.range!.upperBound)]))
                    opened += s.connectionsOpened
                }
                #expect(opened == 0, "\(base): reused pooled connections")
                let fresh = try await ParallelFetcher(options: TransferOptions(connections: 1, caFile: nginx.caFile))
                    .fetchAll([reqs[0]]) { _, _ in }
                #expect(fresh.connectionsOpened == 1)
            }
            #expect(pool.idleCount >= 1)
        }
    }

    @Test func tlsWithPrivateCAOverHTTP2() async throws {
        try await withNginx(size: 2 << 20) { nginx, data in
            let reqs = rangedRequests(nginx.tlsURL + "/data.bin", size: data.count, part: 256 << 10)
            let o = TransferOptions(connections: 4, caFile: nginx.caFile, http2: true, multiplex: true)
            let c = Collected()
            let summary = try await ParallelFetcher(options: o).fetchAll(reqs) { r, b in c.add(r.tag, b) }
            #expect(summary.http2Responses == reqs.count, "HTTP/2 was negotiated over TLS")
            #expect(c.assembled() == data)
            var h1 = o
            h1.http2 = false
            let s1 = try await ParallelFetcher(options: h1).fetchAll(reqs) { _, _ in }
            #expect(s1.http2Responses == 0)
            let fetched2 = try await fetchAssembled(reqs, options: o)
            #expect(fetched2 == data)
            // Without the CA the certificate is refused, with a hint naming --ca-file.
            let err = await chainsnapError {
                _ = try await fetchAssembled(Array(reqs.prefix(1)), options: TransferOptions(connections: 1, retry: quickRetry))
            }
            #expect(err?.hint?.contains("--ca-file") == true, "\(String(describing: err))")
        }
    }

    @Test func rateLimitedPortGainsFromParallelRanges() async throws {
        // nginx's limit_rate is per request and lets the first second's worth through at once, so:
        // 100 KiB/s, 6 ranges of 200 KiB: ~1 s each, ~1-2 s in parallel, ~6 s one after another.
        try await withNginx(size: 1200 << 10, limitRate: "100k") { nginx, data in
            let reqs = rangedRequests(nginx.limitedURL + "/data.bin", size: data.count, part: 200 << 10)
            var start = Date()
            let fetched = try await fetchAssembled(reqs, options: TransferOptions(connections: 6))
            let parallel = Date().timeIntervalSince(start)
            #expect(fetched == data)
            start = Date()
            let single = try await fetchAssembled(reqs, options: TransferOptions(connections: 1))
            let serial = Date().timeIntervalSince(start)
            #expect(single == data)
            #expect(serial > 4, "the rate limit applies (\(serial) s)")
            #expect(parallel * 2 < serial, "6 connections (\(parallel) s) should beat one (\(serial) s)")
        }
    }
}
