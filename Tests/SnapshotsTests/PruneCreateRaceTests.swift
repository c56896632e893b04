import Foundation
import Testing
import RestoreCore
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// The window of issue #10 item 10: a create that starts after prune's last lock check, while
/// prune deletes chunks. Driven deterministically through the pruner's `beforeDeleting` hook.
@Suite struct PruneCreateRaceTests {
    final class Notes: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func createStartingWhilePruneDeletesNeverReusesADeletedChunk() async throws {
        let f = Fixture()
        let fm = FileManager.default
        try fm.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        let oldBytes = Data(Trees.compressibleBytes(300_000, seed: 41))
        try oldBytes.write(to: URL(fileURLWithPath: f.src + "/old"))
        _ = try await f.create(chunkSize: 256 << 10)
        try fm.removeItem(atPath: f.src + "/old")
        try Data(Trees.compressibleBytes(300_000, seed: 42)).write(to: URL(fileURLWithPath: f.src + "/new"))
        _ = try await f.create(chunkSize: 256 << 10)

        // The next create's tree holds "old" again: its chunks are exactly the ones prune deletes.
        let again = f.tmp.sub("again")
        try fm.createDirectory(atPath: again, withIntermediateDirectories: true)
        try oldBytes.write(to: URL(fileURLWithPath: again + "/old"))

        let notes = Notes()
        let store = f.store
        let created = Locked<CreateSummary?>(nil)
        var p = SnapshotPruner(store: store, keepLast: 1, dryRun: false, grace: 0)
        p.beforeDeleting = {
            // The prune checked the locks and is about to delete: a create starts now.
            var o = CreateOptions()
            o.chunkSize = 256 << 10
            o.quiet = true
            o.prunePoll = 0.05
            o.log = { notes.add($0) }
            Task.detached { if let s = try? await SnapshotCreator(store: store, options: o).run(directory: again) { created.withLock { $0 = s } } }
            // Until the create either finished (the bug: it reused chunks about to go) or waits.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if notes.all.contains(where: { $0.contains("waiting for a 'snapshot prune'") }) { break }
                if created.withLock({ $0 }) != nil { break }
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        let s = try await p.run(log: { _ in })
        #expect(s.removedChunks > 0, "the old snapshot's chunks were deleted")
        #expect(notes.all.contains(where: { $0.contains("waiting for a 'snapshot prune'") }), "\(notes.all)")

        // The create finishes after the prune and its snapshot is whole: every chunk present.
        let deadline = Date().addingTimeInterval(60)
        while created.withLock({ $0 }) == nil && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let third = try #require(created.withLock { $0 })
        let check = try await SnapshotVerifier(store: store, deep: true, quiet: true).verify(ids: [third.id])
        #expect(check[0].ok, "a snapshot created during the prune names a chunk it deleted: \(check[0].missing)")
        #expect(try await store.list(prefix: PruneRecord.prefix).isEmpty, "the prune removed its record")
    }

    @Test func pruneFindingACreateLockWithdrawsItsRecordAndDeletesNothing() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        try Data(Trees.compressibleBytes(300_000, seed: 51)).write(to: URL(fileURLWithPath: f.src + "/a"))
        _ = try await f.create(chunkSize: 256 << 10)
        try FileManager.default.removeItem(atPath: f.src + "/a")
        try Data(Trees.compressibleBytes(300_000, seed: 52)).write(to: URL(fileURLWithPath: f.src + "/b"))
        _ = try await f.create(chunkSize: 256 << 10)
        let before = Set(try f.chunkFiles())

        // A create whose lock lands between prune's first look and its record: the second check sees it.
        let store = f.store
        let seen = Locked<[String]>([])
        var p = SnapshotPruner(store: store, keepLast: 1, dryRun: false, grace: 0)
        p.afterRecord = {
            let keys = (try? await store.list(prefix: PruneRecord.prefix).map(\.key)) ?? []
            seen.withLock { $0 = keys }
            try? await store.put(SnapshotLayout.lockKey("20990101T000000Z-00000002"), bytes: Array("{}".utf8))
        }
        let s = try await p.run(log: { _ in })
        #expect(seen.withLock { $0 }.count == 1, "the pending-deletion record was written before the check")
        #expect(s.chunksDeferred != nil && s.removedChunks == 0)
        #expect(Set(try f.chunkFiles()) == before)
        #expect(try await store.list(prefix: PruneRecord.prefix).isEmpty, "the record is withdrawn")

        // A create that starts while a (fresh) record exists waits for it, then fails clearly after its timeout.
        try await store.put(PruneRecord.key("20990101T000000Z-00000003"), bytes: Array("{}".utf8))
        var o = CreateOptions()
        o.quiet = true
        o.pruneWait = 0.3
        o.prunePoll = 0.05
        o.log = { _ in }
        await expectFailure("is deleting chunks") { _ = try await SnapshotCreator(store: store, options: o).run(directory: f.src) }
    }
}
