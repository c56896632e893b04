import Foundation
import Testing
import SnapshotCore
@testable import Snapshots
import TestSupport

/// What `snapshot create` counts as new and reused, and the chunk table it writes: sorted by id,
/// each chunk once, only chunks a file names, however many files share a chunk.
@Suite struct CreateCountsTests {
    static func expectConsistent(_ s: CreateSummary, sourceLocation: SourceLocation = #_sourceLocation) {
        let c = s.manifest.chunks
        #expect(c.map(\.id) == Array(Set(c.map(\.id))).sorted(), "sorted, no repeats", sourceLocation: sourceLocation)
        #expect(s.newChunks + s.reusedChunks == c.count, sourceLocation: sourceLocation)
        #expect(s.newRawBytes + s.reusedRawBytes == c.reduce(0) { $0 + $1.size }, sourceLocation: sourceLocation)
        #expect(s.manifest.totals.storedBytes == c.reduce(0) { $0 + $1.stored }, sourceLocation: sourceLocation)
        var named = Set<String>()
        for i in s.manifest.entries.indices { s.manifest.entries.forEachExtent(at: i) { if let id = $0.chunk { named.insert(id) } } }
        #expect(named == Set(c.map(\.id)), "the table lists exactly the chunks files name", sourceLocation: sourceLocation)
    }

    @Test("identical files share chunks counted once; an unchanged tree reuses all; one changed file makes only its chunks new")
    func countsAcrossCreates() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src + "/db", withIntermediateDirectories: true)
        let twin = Data(Trees.compressibleBytes(300_000, seed: 3))
        try twin.write(to: URL(fileURLWithPath: f.src + "/db/a.sst"))
        try twin.write(to: URL(fileURLWithPath: f.src + "/db/b.sst"))
        try Data(Trees.compressibleBytes(200_000, seed: 4)).write(to: URL(fileURLWithPath: f.src + "/db/c.sst"))
        for i in 0..<40 { try Data("small \(i % 7)".utf8).write(to: URL(fileURLWithPath: f.src + "/db/s\(i)")) }

        let first = try await f.create(chunkSize: 64 << 10)
        Self.expectConsistent(first)
        #expect(first.reusedChunks == 0, "a fresh store: every chunk is new, the twin's too")
        #expect(first.newStoredBytes == first.manifest.totals.storedBytes)

        let second = try await f.create(chunkSize: 64 << 10)
        Self.expectConsistent(second)
        #expect(second.newChunks == 0 && second.reusedChunks == first.manifest.chunks.count)
        #expect(second.manifest.chunks == first.manifest.chunks)

        try Data(Trees.compressibleBytes(200_000, seed: 5)).write(to: URL(fileURLWithPath: f.src + "/db/c.sst"))
        let third = try await f.create(chunkSize: 64 << 10)
        Self.expectConsistent(third)
        let fresh = Set(third.manifest.chunks.map(\.id)).subtracting(first.manifest.chunks.map(\.id))
        #expect(third.newChunks == fresh.count && fresh.count > 0)
    }
}
