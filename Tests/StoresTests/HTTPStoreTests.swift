import Foundation
import SnapshotCore
import Stores
import TestSupport
import Testing

@Suite("HTTPStore against nginx", .requires("nginx", "openssl"))
struct HTTPStoreTests {
    let files: [String: [UInt8]] = [
        "snapshots/2026-11-01/manifest.json": Array("{\"v\":1}".utf8),
        "snapshots/2026-11-02/manifest.json": Array("{\"v\":2}".utf8),
        "chunks/ab/abcd.zst": randomBytes(700_000, seed: 3),
        "chunks/cd/cdef.zst": randomBytes(90_000, seed: 4),
        "node.tar.zst": randomBytes(1_500_000, seed: 5),
    ]

    @Test func readsListsAndFetchesOverPlainHTTP() async throws {
        try await withNginxServing(files) { nginx in
            let store = try openStore(nginx.plainURL + "/", options: StoreOptions(connections: 4))
            #expect(!store.isWritable)
            #expect(try await store.get("chunks/ab/abcd.zst") == files["chunks/ab/abcd.zst"])
            #expect(try await store.get("node.tar.zst", range: 10..<20) == Array(files["node.tar.zst"]![10..<20]))
            #expect(try await store.head("node.tar.zst")?.size == 1_500_000)
            #expect(try await store.head("nope") == nil)
            #expect(await chainsnapError { _ = try await store.get("nope") }?.code == .notFound)
            let listed = try await store.list(prefix: "snapshots/")
            #expect(listed.map(\.key) == ["snapshots/2026-11-01/manifest.json", "snapshots/2026-11-02/manifest.json"])
            #expect(try await store.list(prefix: "chunks/c").map(\.key) == ["chunks/cd/cdef.zst"])
            #expect(try await store.list(prefix: "none/").isEmpty)
            let w = await chainsnapError { try await store.put("x", bytes: [1]) }
            #expect(w?.hint?.contains("read-only") == true || w?.message.contains("read-only") == true)
            guard let bulk = store as? any BulkFetching else {
                Issue.record("HTTPStore must be BulkFetching"); return
            }
            let src = files["node.tar.zst"]!
            let reqs = (0..<6).map { i -> FetchRequest in
                let r = Int64(i * 250_000)..<Int64(min((i + 1) * 250_000, src.count))
                return FetchRequest(key: "node.tar.zst", range: r, expectedSize: Int64(r.count))
            } + [FetchRequest(key: "chunks/cd/cdef.zst", expectedSize: 90_000)]
            let got = Bodies()
            try await bulk.fetchAll(reqs) { r, b in got.add(r, b) }
            var joined: [UInt8] = []
            for r in reqs.dropLast() { joined += got[r] ?? [] }
            #expect(joined == src)
            #expect(got[reqs.last!] == files["chunks/cd/cdef.zst"])
        }
    }

    @Test func queryStringIsKeptOnEveryObjectURL() async throws {
        try await withNginxServing(files) { nginx in
            let store = try openStore(nginx.plainURL + "/?X-Amz-Signature=secretsig&v=1", options: StoreOptions())
            #expect(try await store.get("chunks/cd/cdef.zst") == files["chunks/cd/cdef.zst"])
            #expect(try await store.head("node.tar.zst")?.size == 1_500_000)
            #expect(!store.displayURL.contains("secretsig"))
            let err = await chainsnapError { _ = try await store.get("missing") }
            #expect(err?.code == .notFound)
            #expect(err.map { !$0.description.contains("secretsig") } == true)
        }
    }

    @Test func tlsNeedsTheCAFile() async throws {
        try await withNginxServing(files) { nginx in
            let store = try openStore(nginx.tlsURL, options: StoreOptions(caFile: nginx.caFile))
            #expect(try await store.get("chunks/cd/cdef.zst") == files["chunks/cd/cdef.zst"])
            #expect(try await store.list(prefix: "snapshots/").count == 2)
            let untrusted = try openStore(nginx.tlsURL, options: StoreOptions())
            let err = await chainsnapError { _ = try await untrusted.get("chunks/cd/cdef.zst") }
            #expect(err?.hint?.contains("--ca-file") == true, "\(String(describing: err))")
        }
    }

    @Test func rateLimitedMirror() async throws {
        try await withNginxServing(files, limitRate: "4m") { nginx in
            let store = try openStore(nginx.limitedURL, options: StoreOptions(connections: 8))
            #expect(try await store.get("node.tar.zst") == files["node.tar.zst"])
        }
    }
}
