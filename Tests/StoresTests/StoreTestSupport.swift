import Foundation
import SnapshotCore
import Stores
import TestSupport

/// Collects bodies from worker threads.
final class Bodies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FetchRequest: [UInt8]] = [:]
    func add(_ r: FetchRequest, _ b: [UInt8]) { lock.withLock { items[r] = b } }
    subscript(_ r: FetchRequest) -> [UInt8]? { lock.withLock { items[r] } }
    var count: Int { lock.withLock { items.count } }
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
