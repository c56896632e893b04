import Foundation
import TestSupport
import Testing
import Transfer

/// Loopback throughput of the downloader against nginx (a measurement, not a check of speed):
/// run with `CHAINSNAP_BENCH=1 swift test --filter ThroughputBench`.
@Suite("Downloader throughput (CHAINSNAP_BENCH=1)",
       .enabled(if: ProcessInfo.processInfo.environment["CHAINSNAP_BENCH"] == "1", "set CHAINSNAP_BENCH=1"), .requires("nginx", "openssl"))
struct ThroughputBenchTests {
    @Test func loopbackThroughput() async throws {
        let size = Int(ProcessInfo.processInfo.environment["CHAINSNAP_BENCH_MB"] ?? "512")! << 20
        try await withNginx(size: size, limitRate: "25m") { nginx, data in
            for (label, base, ca) in [("plain", nginx.plainURL, nil), ("tls http/2", nginx.tlsURL, nginx.caFile),
                                      ("tls http/1.1", nginx.tlsURL, nginx.caFile),
                                      ("limit_rate 25m", nginx.limitedURL, nil)] as [(String, String, String?)] {
                let reqs = rangedRequests(base + "/data.bin", size: data.count, part: 8 << 20)
                let o = TransferOptions(connections: 16, caFile: ca, http2: label == "tls http/2")
                let total = ByteCounter()
                let summary = try await ParallelFetcher(options: o).fetchAll(reqs) { _, body in total.add(body.count) }
                #expect(total.value == data.count)
                let mbps = Double(summary.bytes) / summary.seconds / 1e6
                print("bench \(label): \(summary.bytes >> 20) MiB in \(String(format: "%.2f", summary.seconds)) s = \(String(format: "%.0f", mbps)) MB/s, peak memory \(summary.peakReservedBytes >> 20) MiB, http2 \(summary.http2Responses)")
            }
        }
    }
}

final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}
