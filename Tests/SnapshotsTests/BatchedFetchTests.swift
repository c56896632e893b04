import Foundation
import Testing
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// Restore and `verify --deep` ask a bulk store (nginx here, over HTTP) for chunks in batches,
/// so what they hold for requests does not grow with the chunk count. Batches of 3 against a
/// real server: every chunk arrives once, the tree is identical, damage is still found.
@Suite("batched chunk requests against nginx", .serialized)
struct BatchedFetchTests {
    @Test("restore and verify --deep in batches of 3: an identical tree, each chunk fetched once, a corrupt chunk named",
          .requires(tools: ["nginx", "openssl"]))
    func batchesOfThree() async throws {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 1 << 20, seed: 11)
        let created = try await f.create(chunkSize: 64 << 10)
        let chunks = created.manifest.chunks
        try #require(chunks.count > 10, "\(chunks.count) chunks")
        let nginx = try NginxServer(root: f.storeRoot, workDir: f.tmp.sub("nginx"))
        defer { nginx.stop() }
        let http = HTTPStore(baseURL: nginx.plainURL)

        var o = RestoreOptions()
        o.quiet = true
        var r = SnapshotRestorer(store: http, options: o, log: { _ in })
        r.fetchBatch = 3
        let s = try await r.run(into: f.tmp.sub("out"))
        #expect(s.fetchedChunks == chunks.count)
        #expect(s.fetchedBytes == chunks.reduce(0) { $0 + $1.stored })
        #expect(try Trees.describe(f.tmp.sub("out")) == Trees.describe(f.src))

        var v = SnapshotVerifier(store: http, deep: true, quiet: true)
        v.batchSize = 3
        #expect(try await v.verify(ids: [created.id]).map(\.ok) == [true])
        let victim = chunks[chunks.count / 2]
        let path = f.storeRoot + "/" + victim.key
        try Data(Trees.compressibleBytes(Int(victim.stored), seed: 5)).write(to: URL(fileURLWithPath: path))
        let broken = try await v.verify(ids: [created.id])
        #expect(broken.map(\.corrupt) == [[victim.id]])
    }
}
