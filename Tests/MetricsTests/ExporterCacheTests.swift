import Dispatch
import Exporter
import Foundation
import Metrics
import SnapshotCore
import Stores
import Synchronization
import Testing

/// A store whose listing blocks its thread for `hang` seconds (like a curl call to a host that
/// accepted the connection and never answers), counting the listings it was asked for.
final class HangingStore: ObjectStore {
    let hang: Double
    let lists = Atomic<Int>(0)
    init(hang: Double) { self.hang = hang }
    var displayURL: String { "s3://hanging/store" }
    var isWritable: Bool { false }
    func get(_ key: String) async throws -> [UInt8] { throw ChainsnapError(.notFound, key) }
    func get(_ key: String, range: Range<Int64>) async throws -> [UInt8] { throw ChainsnapError(.notFound, key) }
    func head(_ key: String) async throws -> ObjectInfo? { nil }
    func put(_ key: String, bytes: [UInt8]) async throws {}
    func list(prefix: String) async throws -> [ObjectInfo] {
        lists.add(1, ordering: .relaxed)
        let hang = self.hang
        // Blocks a thread, not the cooperative pool: cancellation cannot interrupt it.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { usleep(UInt32(hang * 1e6)); c.resume() }
        }
        return []
    }
    func delete(_ key: String) async throws {}
}

/// The exporter's cache: looks bounded by the timeout, no pile-up behind a hung store.
@Suite struct ExporterCacheTests {
    @Test func aHungStoreIsDownAfterTheTimeoutAndIsNotAskedAgainWhileHung() async throws {
        // The listing hangs far longer than the test runs (its thread just sleeps on).
        let store = HangingStore(hang: 120)
        let e = Exporter(stores: [.init(label: store.displayURL, store: store)], nodes: [], network: nil,
                         interval: 60, timeout: 0.5, version: "test")
        let started = Date()
        await e.refreshAll()
        #expect(Date().timeIntervalSince(started) < 30, "the round ends at the timeout, not when the store answers (120 s)")
        #expect(e.exposition().contains("chainsnap_store_up{store=\"s3://hanging/store\"} 0"))
        await e.refreshAll()
        await e.refreshAll()
        #expect(store.lists.load(ordering: .relaxed) == 1, "a look still in flight is not started again")
        #expect(e.exposition().contains("chainsnap_store_up{store=\"s3://hanging/store\"} 0"))
        #expect(e.completedLooks == 0)
    }

    @Test func aLookThatReturnedIsStartedAgain() async throws {
        let store = HangingStore(hang: 0)
        let e = Exporter(stores: [.init(label: store.displayURL, store: store)], nodes: [], network: nil,
                         interval: 60, timeout: 120, version: "test")
        await e.refreshAll()
        await e.refreshAll()
        #expect(store.lists.load(ordering: .relaxed) == 4, "each look lists snapshots/ and rlp/")
        #expect(e.completedLooks == 2)
    }

    @Test func scrapesAnswerFromTheCache() async throws {
        let store = HangingStore(hang: 0)
        let e = Exporter(stores: [.init(label: store.displayURL, store: store)], nodes: [], network: "mainnet",
                         interval: 60, timeout: 120, version: "test")
        #expect(!e.exposition().contains("chainsnap_store_up"), "nothing before the first look")
        await e.refreshAll()
        let text = e.exposition()
        #expect(text.contains("chainsnap_store_up{store=\"s3://hanging/store\"} 1"))
        #expect(text.contains("chainsnap_store_snapshots{store=\"s3://hanging/store\"} 0"))
        let r = e.handle(HTTPRequestHead(method: "GET", path: "/metrics", version: "HTTP/1.1"))
        #expect(r.status == 200 && r.contentType == Exposition.contentType)
        #expect(e.handle(HTTPRequestHead(method: "POST", path: "/metrics", version: "HTTP/1.1")).status == 405)
        #expect(e.handle(HTTPRequestHead(method: "GET", path: "/nope", version: "HTTP/1.1")).status == 404)
        #expect(e.handle(HTTPRequestHead(method: "GET", path: "/healthz", version: "HTTP/1.1")).body == "ok\n")
    }
}
