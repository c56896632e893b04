import Foundation
import SnapshotCore
import Stores
import TestSupport
import Testing

/// The BulkFetching interface the restore engine calls, over a misbehaving server: every fault
/// either recovers with exactly the right bytes or fails with a clear error, never wrong bytes.
@Suite("HTTPStore over the fault server", .requires("python3"))
struct HTTPStoreFaultTests {
    func withServer(_ body: (FaultServer, [UInt8]) async throws -> Void) async throws {
        let dir = TempDir("store-fault")
        try FileManager.default.createDirectory(atPath: dir.sub("root/chunks"), withIntermediateDirectories: true)
        let data = randomBytes(600_000, seed: 11)
        try Data(data).write(to: URL(fileURLWithPath: dir.sub("root/chunks/c1")))
        let root = dir.sub("root"), logDir = dir.path
        let server = try await offloaded { try FaultServer(root: root, stallSeconds: 30, logDir: logDir) }
        defer { server.stop() }
        try await body(server, data)
    }

    func requests(_ size: Int) -> [FetchRequest] {
        stride(from: 0, to: size, by: 100_000).map { lo in
            let r = Int64(lo)..<Int64(min(size, lo + 100_000))
            return FetchRequest(key: "chunks/c1", range: r, expectedSize: Int64(r.count))
        } + [FetchRequest(key: "chunks/c1", expectedSize: Int64(size))]
    }

    @Test(arguments: ["ok/0", "drop/2", "500/2", "503/2", "429/1", "short/2", "norange/0"])
    func recoversWithExactBytes(path: String) async throws {
        try await withServer { server, data in
            let store = try openStore(server.baseURL + "/" + path, options: StoreOptions(connections: 4))
            let bulk = try #require(store as? any BulkFetching)
            let got = Bodies()
            try await bulk.fetchAll(requests(data.count)) { r, b in got.add(r, b) }
            for r in requests(data.count) {
                let want = r.range.map { Array(data[Int($0.lowerBound)..<Int($0.upperBound)]) } ?? data
                #expect(got[r] == want, "\(path) \(String(describing: r.range))")
            }
        }
    }

    @Test func headFallsBackToARangedGet() async throws {
        try await withServer { server, data in
            let store = try openStore(server.baseURL + "/nohead/0", options: StoreOptions())
            #expect(try await store.head("chunks/c1")?.size == Int64(data.count))
            #expect(try await store.head("chunks/missing") == nil)
            let plain = try openStore(server.baseURL + "/norange/0", options: StoreOptions())
            #expect(try await plain.head("chunks/c1")?.size == Int64(data.count))
        }
    }

    @Test(arguments: ["etag/1", "wrongrange/0", "drop/0", "short/0"])
    func failsClearlyWithoutPassingBadBytes(path: String) async throws {
        try await withServer { server, data in
            let store = try openStore(server.baseURL + "/" + path, options: StoreOptions(connections: 2))
            let bulk = try #require(store as? any BulkFetching)
            let bad = Bodies()
            let err = await chainsnapError {
                try await bulk.fetchAll(requests(data.count)) { r, b in
                    let want = r.range.map { Array(data[Int($0.lowerBound)..<Int($0.upperBound)]) } ?? data
                    if b != want { bad.add(r, b) }
                }
            }
            #expect(err != nil, "\(path) must fail")
            #expect(bad.count == 0, "\(path): no wrong bytes were handed over")
            #expect((err?.message.count ?? 0) > 20 && err?.object != nil, "\(String(describing: err))")
        }
    }
}
