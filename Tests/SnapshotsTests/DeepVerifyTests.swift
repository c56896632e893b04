import Foundation
import Testing
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// `snapshot verify --deep` across snapshots that share chunks: each kind of damage is named on
/// every snapshot that holds it, and nothing else is (batches against a bulk store:
/// `BatchedFetchTests`).
@Suite struct DeepVerifyTests {
    @Test("a corrupt, a missing and a short chunk, found in both snapshots that share them")
    func damageAcrossBatchesAndSnapshots() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        try Data(Trees.compressibleBytes(1_200_000, seed: 41)).write(to: URL(fileURLWithPath: f.src + "/shared"))
        try Data(Trees.compressibleBytes(500_000, seed: 42)).write(to: URL(fileURLWithPath: f.src + "/first"))
        let a = try await f.create(chunkSize: 64 << 10).id
        try FileManager.default.removeItem(atPath: f.src + "/first")
        try Data(Trees.compressibleBytes(500_000, seed: 43)).write(to: URL(fileURLWithPath: f.src + "/second"))
        let b = try await f.create(chunkSize: 64 << 10).id
        let catalog = SnapshotCatalog(store: f.store)
        let ma = try await catalog.load(a), mb = try await catalog.load(b)
        let shared = Set(ma.chunks.map(\.id)).intersection(mb.chunks.map(\.id)).sorted()
        let onlyB = Set(mb.chunks.map(\.id)).subtracting(ma.chunks.map(\.id)).sorted()
        try #require(shared.count >= 3 && ma.chunks.count > 12 && !onlyB.isEmpty)

        let v = SnapshotVerifier(store: f.store, deep: true, quiet: true)
        let clean = try await v.verify(ids: [a, b])
        #expect(clean.map(\.ok) == [true, true])
        #expect(clean.map(\.chunks) == [ma.chunks.count, mb.chunks.count])

        func path(_ id: String) -> String { f.storeRoot + "/" + ChunkInfo.key(id: id, codec: "zstd") }
        // Same size, other bytes: only hashing finds it.
        let corrupt = shared[0]
        let size = try FileManager.default.attributesOfItem(atPath: path(corrupt))[.size] as! Int
        try Data(Trees.compressibleBytes(size, seed: 99)).write(to: URL(fileURLWithPath: path(corrupt)))
        let missing = shared[1]
        try FileManager.default.removeItem(atPath: path(missing))
        let short = onlyB[0]
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path(short)))
        try h.truncate(atOffset: 10)
        try h.close()

        let checks = try await v.verify(ids: [a, b])
        #expect(checks.map(\.ok) == [false, false])
        #expect(checks[0].corrupt == [corrupt] && checks[1].corrupt == [corrupt], "\(checks.map(\.corrupt))")
        #expect(checks[0].missing == [missing] && checks[1].missing == [missing])
        #expect(checks[0].wrongSize.isEmpty && checks[1].wrongSize == [short])

        // Without --deep the corrupt chunk passes (same size) and the rest is still found.
        let shallow = try await SnapshotVerifier(store: f.store, deep: false, quiet: true).verify(ids: [a, b])
        #expect(shallow.map(\.corrupt) == [[], []])
        #expect(shallow.map(\.missing) == [[missing], [missing]])
        #expect(shallow[1].wrongSize == [short])
    }
}
