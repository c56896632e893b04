import Foundation
import SnapshotCore
import TestSupport
import Testing
import Transfer

@Suite("Parallel fetcher against nginx", .enabled(if: Servers.enabled("nginx", "openssl")))
struct NginxFetchTests {
    @Test func plainHTTPRanges() async throws {
        try await withNginx(size: 4 << 20) { nginx, data in
            let reqs = rangedRequests(nginx.plainURL + "/data.bin", size: data.count, part: 512 << 10)
            let fetched1 = try await fetchAssembled(reqs, options: TransferOptions(connections: 8))
            #expect(fetched1 == data)
        }
    }

    @Test func tlsWithPrivateCAOverHTTP2() async throws {
        try await withNginx(size: 2 << 20) { nginx, data in
            let reqs = rangedRequests(nginx.tlsURL + "/data.bin", size: data.count, part: 256 << 10)
            let o = TransferOptions(connections: 4, caFile: nginx.caFile, http2: true, multiplex: true)
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
        // limit_rate 1m per connection: 2 MiB over 8 connections takes ~0.25 s, over one ~2 s.
        try await withNginx(size: 2 << 20, limitRate: "1m") { nginx, data in
            let reqs = rangedRequests(nginx.limitedURL + "/data.bin", size: data.count, part: 256 << 10)
            var start = Date()
            let fetched = try await fetchAssembled(reqs, options: TransferOptions(connections: 8))
            let parallel = Date().timeIntervalSince(start)
            #expect(fetched == data)
            start = Date()
            let single = try await fetchAssembled(reqs, options: TransferOptions(connections: 1))
            let serial = Date().timeIntervalSince(start)
            #expect(single == data)
            #expect(parallel * 2 < serial, "8 connections (\(parallel) s) should beat the per-connection limit of 1 (\(serial) s)")
        }
    }
}
