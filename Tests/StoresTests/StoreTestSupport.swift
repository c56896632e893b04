import Foundation
import SnapshotCore
import Stores
import TestSupport

/// Deterministic pseudo-random bytes.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

/// Collects bodies from worker threads.
final class Bodies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FetchRequest: [UInt8]] = [:]
    func add(_ r: FetchRequest, _ b: [UInt8]) { lock.withLock { items[r] = b } }
    subscript(_ r: FetchRequest) -> [UInt8]? { lock.withLock { items[r] } }
    var count: Int { lock.withLock { items.count } }
}

/// The ChainsnapError thrown by `work`, or nil.
func thrownError(_ work: () async throws -> Void) async -> ChainsnapError? {
    do {
        try await work()
        return nil
    } catch let e as ChainsnapError {
        return e
    } catch {
        return ChainsnapError(.io, "unexpected error type: \(error)")
    }
}

/// A fresh SeaweedFS with one bucket, stopped afterwards whatever happens.
func withSeaweed<T>(_ body: (SeaweedServer, StoreOptions, AWSCredentials) async throws -> T) async throws -> T {
    let dir = TempDir("s3")
    let work = dir.path
    let server = try await offloaded { try SeaweedServer(workDir: work) }
    defer { server.stop() }
    let creds = AWSCredentials(accessKeyID: server.accessKey, secretAccessKey: server.secretKey, source: "test")
    let options = StoreOptions(endpoint: server.endpoint, region: "us-east-1", connections: 8)
    return try await body(server, options, creds)
}

/// A fresh nginx serving `files` (relative path → bytes), stopped afterwards.
func withNginxServing<T>(_ files: [String: [UInt8]], limitRate: String = "2m",
                         _ body: (NginxServer) async throws -> T) async throws -> T {
    let dir = TempDir("nginx-store")
    for (path, bytes) in files {
        let full = dir.sub("root/" + path)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }
    try FileManager.default.createDirectory(atPath: dir.sub("work"), withIntermediateDirectories: true)
    let root = dir.sub("root"), work = dir.sub("work")
    let server = try await offloaded { try NginxServer(root: root, workDir: work, limitRate: limitRate) }
    defer { server.stop() }
    return try await body(server)
}
