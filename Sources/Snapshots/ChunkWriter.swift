import Dispatch
import LocalFS
import SnapshotCore
import RestoreCore

/// Verifies, decompresses and writes chunks into the staging tree, recording each in the journal.
///
/// A file that one chunk holds whole (every small file of a pack) is created when its chunk
/// arrives, with `openat` in its folder, written, given its mode and time on the open
/// descriptor and closed: four system calls, no per-file `fsync` (the restore makes the whole
/// tree durable with one `syncfs` before anything moves into place). Larger files are made by
/// the skeleton and written piece by piece; once complete they are fsynced in the background,
/// so their bytes reach the disk while later chunks are still decompressing.
final class ChunkWriter: Sendable {
    let tree: String
    let entries: EntryTable
    let journal: Journal
    let flusher = BackgroundFlusher()
    private let contexts = ContextPool(level: 3)
    /// Chunk pieces each multi-chunk file still waits for; a file that reaches zero is fsynced in the background.
    private let pending: Locked<[Int: Int]>
    /// Entries whose mode and time were set when they were written (their bits set).
    private let finalized: Locked<EntryBits>

    /// Threads that create the small files of one pack, and the fewest files each is given.
    static let fileWorkers = 4
    static let filesPerWorker = 64

    /// Creates, writes and finishes (mode, time) files that `raw` holds whole, reusing the
    /// descriptor of their folder from one file to the next.
    private func writeWhole(_ dests: ArraySlice<SnapshotRestorer.Destination>, raw: [UInt8]) throws {
        var folder: (rel: Substring, handle: DirectoryHandle)?
        try raw.withUnsafeBytes { r in
            for d in dests {
                let e = entries[d.entry]
                let path = e.path
                let slash = path.lastIndex(of: "/")
                let rel = slash.map { path[..<$0] } ?? ""
                let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
                if folder == nil || folder!.rel != rel {
                    folder = (rel, try DirectoryHandle(rel.isEmpty ? tree : tree + "/" + rel))
                }
                let mode = e.mode & RestoredModes.appliedBits   // never setuid/setgid
                let keeps = DirectoryHandle.creationKeeps(mode: mode)
                let f = try folder!.handle.createFile(name, mode: keeps ? mode : 0o600)
                try f.write(UnsafeRawBufferPointer(rebasing: r[Int(d.chunkOffset)..<Int(d.chunkOffset + d.length)]), at: 0)
                if !keeps { try f.setMode(mode) }
                try f.setModificationTime(nanoseconds: e.mtimeNs)
            }
        }
    }

    /// Completed files at least this large get an early background fsync.
    static let backgroundSyncMin: Int64 = 1 << 20

    init(tree: String, entries: EntryTable, journal: Journal, plan: ChunkPlan) {
        self.tree = tree
        self.entries = entries
        self.journal = journal
        var counts: [Int: Int] = [:]
        for k in plan.remaining {
            for d in plan.destinations(of: k) where !Self.isWhole(entries, d.entry) { counts[d.entry, default: 0] += 1 }
        }
        pending = Locked(counts)
        finalized = Locked(EntryBits(count: entries.count))
    }

    /// A regular file whose bytes are all in one extent of one chunk: created and finished when
    /// that chunk is written, not by the skeleton.
    static func isWhole(_ e: Entry) -> Bool {
        guard e.type == .file, let x = e.extents, x.count == 1, x[0].chunk != nil else { return false }
        return x[0].length == e.size
    }

    /// `isWhole(entries[i])`, without building the entry.
    static func isWhole(_ entries: EntryTable, _ i: Int) -> Bool {
        guard entries.kind(at: i) == .file, entries.extentCount(at: i) == 1 else { return false }
        var whole = false
        entries.forEachExtent(at: i) { whole = $0.chunk != nil && $0.length == entries.size(at: i) }
        return whole
    }

    /// Entries whose mode and modification time are already final.
    var finalizedEntries: EntryBits { finalized.withLock { $0 } }

    func write(info: ChunkInfo, dests: ArraySlice<SnapshotRestorer.Destination>, stored: [UInt8]) throws {
        try writeRaw(info: info, dests: dests, raw: ChunkDecoder.decode(info, stored: stored, contexts: contexts))
    }

    func writeRaw(info: ChunkInfo, dests: ArraySlice<SnapshotRestorer.Destination>, raw: [UInt8]) throws {
        var wholeFiles: [SnapshotRestorer.Destination] = []
        try raw.withUnsafeBytes { r in
            for d in dests {
                guard !Self.isWhole(entries, d.entry) else { wholeFiles.append(d); continue }
                let f = try RawFile(writingAt: tree + "/" + entries.path(at: d.entry))
                try f.write(UnsafeRawBufferPointer(rebasing: r[Int(d.chunkOffset)..<Int(d.chunkOffset + d.length)]), at: d.fileOffset)
            }
        }
        // Creating a file waits on the file system's journal more than on the CPU: a pack's
        // files are written by several threads at once.
        let whole = wholeFiles
        let groups = whole.count < 2 * Self.filesPerWorker ? 1 : min(Self.fileWorkers, whole.count / Self.filesPerWorker)
        let failure = Locked<(any Error)?>(nil)
        let per = (whole.count + groups - 1) / max(1, groups)
        DispatchQueue.concurrentPerform(iterations: groups) { g in
            do {
                try writeWhole(whole[min(whole.count, g * per)..<min(whole.count, (g + 1) * per)], raw: raw)
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        let done = whole.map(\.entry)
        try journal.record(info.id)
        if !done.isEmpty { finalized.withLock { for i in done { $0.insert(i) } } }
        let complete = pending.withLock { counts -> [Int] in
            var out: [Int] = []
            for d in dests where counts[d.entry] != nil {
                counts[d.entry]! -= 1
                if counts[d.entry] == 0 { out.append(d.entry) }
            }
            return out
        }
        for e in complete where entries.size(at: e) >= Self.backgroundSyncMin {
            flusher.enqueue(tree + "/" + entries.path(at: e))
        }
    }
}

/// A set of entry indexes as one bit each (a million entries: 125 KB).
struct EntryBits: Sendable {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
}
