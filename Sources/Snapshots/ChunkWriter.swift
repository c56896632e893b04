import LocalFS
import SnapshotCore
import RestoreCore

/// Verifies, decompresses and writes chunks into the staging tree, recording each in the journal.
final class ChunkWriter: Sendable {
    let tree: String
    let entries: [Entry]
    let journal: Journal
    let flusher = BackgroundFlusher()
    private let contexts = ContextPool(level: 3)
    /// Chunk pieces each file still waits for; a file that reaches zero is fsynced in the background.
    private let pending: Locked<[Int: Int]>
    private let flushed = Locked<Set<Int>>([])

    init(tree: String, entries: [Entry], journal: Journal, work: [String: [SnapshotRestorer.Destination]]) {
        self.tree = tree
        self.entries = entries
        self.journal = journal
        var counts: [Int: Int] = [:]
        for dests in work.values { for d in dests { counts[d.entry, default: 0] += 1 } }
        pending = Locked(counts)
    }

    /// Entries whose files were handed to the background flusher.
    var flushedEntries: Set<Int> { flushed.withLock { $0 } }

    func write(info: ChunkInfo, dests: [SnapshotRestorer.Destination], stored: [UInt8]) throws {
        try writeRaw(info: info, dests: dests, raw: ChunkDecoder.decode(info, stored: stored, contexts: contexts))
    }

    func writeRaw(info: ChunkInfo, dests: [SnapshotRestorer.Destination], raw: [UInt8]) throws {
        try raw.withUnsafeBytes { r in
            for d in dests {
                let f = try RawFile(writingAt: tree + "/" + entries[d.entry].path)
                try f.write(UnsafeRawBufferPointer(rebasing: r[Int(d.chunkOffset)..<Int(d.chunkOffset + d.length)]), at: d.fileOffset)
            }
        }
        try journal.record(info.id)
        let complete = pending.withLock { counts -> [Int] in
            var out: [Int] = []
            for d in dests {
                counts[d.entry, default: 1] -= 1
                if counts[d.entry] == 0 { out.append(d.entry) }
            }
            return out
        }
        for e in complete {
            flushed.withLock { _ = $0.insert(e) }
            flusher.enqueue(tree + "/" + entries[e].path)
        }
    }
}
