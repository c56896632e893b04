import Foundation
import SnapshotCore
import TestSupport
import Transfer

/// Collects fetched bodies by tag from worker threads.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [Int: [UInt8]] = [:]
    private var inConsume = 0
    private(set) var maxConcurrentConsumers = 0

    func add(_ tag: Int, _ body: [UInt8]) {
        lock.withLock { parts[tag] = body }
    }

    func enter() { lock.withLock { inConsume += 1; maxConcurrentConsumers = max(maxConcurrentConsumers, inConsume) } }
    func leave() { lock.withLock { inConsume -= 1 } }

    var count: Int { lock.withLock { parts.count } }

    /// The parts in tag order, concatenated.
    func assembled() -> [UInt8] {
        lock.withLock { parts.keys.sorted().flatMap { parts[$0]! } }
    }
}

/// Deterministic pseudo-random bytes (TestSupport's generator), so failures are reproducible.
func testBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    randomBytes(count, seed: seed)
}

/// Fast retries for tests.
let quickRetry = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, multiplier: 2, maxDelay: 0.4, jitter: 0.5,
                             throttleMinimumDelay: 0.1)

/// Ranged requests covering `size` bytes of `url`, tagged by their index.
func rangedRequests(_ url: String, size: Int, part: Int, objectID: String? = nil) -> [TransferRequest] {
    RangePlanner.split(size: Int64(size), partSize: Int64(part)).enumerated().map { i, r in
        TransferRequest(url: url, range: r, expectedSize: Int64(r.count), objectID: objectID, tag: i)
    }
}

/// Runs the fetcher and returns the bodies concatenated in tag order.
func fetchAssembled(_ requests: [TransferRequest], options: TransferOptions) async throws -> [UInt8] {
    let c = Collected()
    try await ParallelFetcher(options: options).fetchAll(requests) { req, body in
        c.enter()
        defer { c.leave() }
        c.add(req.tag, body)
    }
    return c.assembled()
}

/// A folder with one random file served by a fresh fault server; both removed afterwards.
func withFaultServer<T>(size: Int = 1 << 20, stall: Double = 3,
                        _ body: (FaultServer, [UInt8]) async throws -> T) async throws -> T {
    let dir = TempDir("fault")
    try FileManager.default.createDirectory(atPath: dir.sub("root"), withIntermediateDirectories: true)
    let data = testBytes(size)
    try Data(data).write(to: URL(fileURLWithPath: dir.sub("root/data.bin")))
    let root = dir.sub("root"), logDir = dir.path
    let server = try await offloaded { try FaultServer(root: root, stallSeconds: stall, logDir: logDir) }
    defer { server.stop() }
    return try await body(server, data)
}

/// A folder with one random file served by a fresh nginx; both removed afterwards.
func withNginx<T>(size: Int = 1 << 20, limitRate: String = "2m",
                  _ body: (NginxServer, [UInt8]) async throws -> T) async throws -> T {
    let data = testBytes(size, seed: 42)
    return try await withNginxServing(["data.bin": data], limitRate: limitRate) { try await body($0, data) }
}
