#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Codecs
import SnapshotCore
import Stores
import Transfer

/// Options of `snapshot restore`.
public struct RestoreOptions: Sendable {
    /// A snapshot id, or nil/`latest` for the newest.
    public var snapshot: String?
    /// Replace a non-empty target.
    public var force = false
    /// Keep bytes the target already has (an older restore of the same node); fetch only the rest.
    public var reuseExisting = false
    /// Chunks fetched and written at once when the store has no parallel downloader.
    public var parallel: Int = 16
    public var memoryLimit: Int64 = 256 << 20
    public var progressInterval: Double? = nil
    public var progressFile: String? = nil
    public var quiet = false
    /// When set, the manifest must carry a valid signature by one of these keys (`--trusted-keys`).
    public var trustedKeys: TrustedKeys? = nil

    public init() {}
}

/// What `snapshot restore` did.
public struct RestoreSummary: Sendable, Codable {
    public var snapshot: String
    public var target: String
    public var alreadyRestored = false
    public var resumed = false
    /// Chunks a previous, interrupted run had finished (not fetched again).
    public var resumedChunks = 0
    public var fetchedChunks = 0
    /// Stored (compressed) bytes downloaded.
    public var fetchedBytes: Int64 = 0
    /// Bytes taken from the existing target instead of the store (`--reuse-existing`).
    public var reusedBytes: Int64 = 0
    public var reusedChunks = 0
    /// Bytes of file content in the restored tree.
    public var treeBytes: Int64 = 0
    public var files = 0
    /// Downloads that failed and were retried, and throttling answers (429 / 503 SlowDown) met.
    public var retries = 0
    public var throttled = 0
    public var seconds: Double = 0
}

/// Restores a snapshot into a folder, safely (see `RestoreTarget`) and resumably.
public struct SnapshotRestorer: Sendable {
    public let store: any ObjectStore
    public let options: RestoreOptions
    let log: @Sendable (String) -> Void

    public init(store: any ObjectStore, options: RestoreOptions, log: @escaping @Sendable (String) -> Void = { writeStderr($0 + "\n") }) {
        self.store = store
        self.options = options
        self.log = log
    }

    /// Where each chunk's bytes go.
    struct Destination: Sendable {
        var entry: Int
        var fileOffset: Int64
        var chunkOffset: Int64
        var length: Int64
    }

    public func run(into directory: String) async throws -> RestoreSummary {
        let started = monotonicSeconds()
        let catalog = SnapshotCatalog(store: store)
        let id = try await catalog.resolve(options.snapshot)
        let manifest = try await catalog.load(id, trustedKeys: options.trustedKeys)
        try ManifestValidator.validate(manifest)

        let target = try RestoreTarget(path: directory)
        var summary = RestoreSummary(snapshot: id, target: target.path)
        summary.treeBytes = manifest.totals.bytes
        summary.files = manifest.totals.files
        let plan = try target.plan(identity: id, force: options.force, allowExisting: options.reuseExisting, log: log)
        let replaceExisting: Bool
        switch plan {
        case .alreadyRestored(let m):
            log("'\(target.path)' already holds snapshot \(id) (restored \(m.restoredAt)); nothing to do")
            summary.alreadyRestored = true
            return summary
        case .resume(let phase, let replace):
            log("resuming the interrupted restore of snapshot \(id) into '\(target.path)' (\(phase))")
            summary.resumed = true
            replaceExisting = replace
            if phase == "moving" {
                try target.commit(marker: marker(manifest), replaceExisting: replace)
                summary.seconds = monotonicSeconds() - started
                return summary
            }
        case .fresh(let replace):
            replaceExisting = replace
            let dataBytes = manifest.entries.reduce(Int64(0)) { acc, e in
                acc + (e.extents ?? []).reduce(Int64(0)) { $0 + ($1.chunk == nil ? 0 : $1.length) }
            }
            try target.checkSpace(bytes: dataBytes, inodes: Int64(manifest.entries.count))
            if replaceExisting { log("replacing the existing contents of '\(target.path)' (--force)") }
            try target.beginStaging(identity: id, replaceExisting: replaceExisting)
        }

        try buildSkeleton(manifest, in: target.stagingTree)
        let journal = try Journal(path: target.stagingRoot + "/journal")
        var work = chunkDestinations(manifest)
        let chunkInfo = Dictionary(manifest.chunks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var done = journal.completed
        if !done.isEmpty && journal.predatesBoot {
            // After a crash or power loss the journal may name chunks whose bytes never reached
            // the disk: check those against the staging tree before trusting them.
            log("the machine restarted since the interrupted restore; re-checking \(done.count) finished chunks on disk")
            done = done.filter { id in
                guard let info = chunkInfo[id], let dests = work[id],
                      let raw = Self.assemble(info: info, dests: dests, from: target.stagingTree, entries: manifest.entries) else { return false }
                return SHA256Hasher.hex(raw) == id
            }
        }
        summary.resumedChunks = work.keys.filter { done.contains($0) }.count
        for k in done { work.removeValue(forKey: k) }
        if summary.resumedChunks > 0 { log("\(summary.resumedChunks) chunks were finished by the earlier run and are kept") }

        let remainingBytes = work.keys.reduce(Int64(0)) { $0 + chunkInfo[$1]!.size }
        let progress = ProgressReporter(label: "restore \(id)", total: remainingBytes, interval: options.progressInterval,
                                        statusFile: options.progressFile, quiet: options.quiet)
        progress.start()
        let writer = ChunkWriter(tree: target.stagingTree, entries: manifest.entries, journal: journal, work: work)

        if options.reuseExisting && !work.isEmpty {
            let reused = try await reuseFromExisting(work: work, chunkInfo: chunkInfo, target: target.path,
                                                     entries: manifest.entries, writer: writer, progress: progress)
            for k in reused.ids { work.removeValue(forKey: k) }
            summary.reusedChunks = reused.ids.count
            summary.reusedBytes = reused.bytes
        }

        let fetched = Locked<(Int, Int64)>((0, 0))
        let items = work.map { (info: chunkInfo[$0.key]!, dests: $0.value) }.sorted { $0.info.id < $1.info.id }
        do {
            if let t = try await fetchAndWrite(items, writer: writer, progress: progress, fetched: fetched) {
                summary.retries = t.retries
                summary.throttled = t.throttled
            }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        (summary.fetchedChunks, summary.fetchedBytes) = fetched.withLock { $0 }

        try finishTree(manifest, in: target.stagingTree, writer: writer)
        try target.commit(marker: marker(manifest), replaceExisting: replaceExisting)
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    private func marker(_ m: Manifest) -> RestoreMarker {
        RestoreMarker(kind: "snapshot", identity: m.id, source: store.displayURL, network: m.source.network,
                      height: m.source.height, blockHash: m.source.blockHash, bytes: m.totals.bytes)
    }

    /// Creates folders, empty files of the right length, and symlinks in the staging tree.
    private func buildSkeleton(_ m: Manifest, in tree: String) throws {
        for e in m.entries {
            let p = tree + "/" + e.path
            switch e.type {
            case .dir: try TreeMetadata.makeDirectory(p)
            case .symlink: try TreeMetadata.makeSymlink(p, target: e.target!)
            case .file:
                let f = try RawFile(writingAt: p, mode: 0o600)
                if try f.size() != e.size { try f.setLength(e.size) }
                // Blocks for the data (not the holes) up front: chunks arrive in any order, and a
                // full disk shows here rather than midway.
                for run in Self.dataRuns(e) {
                    guard try f.preallocate(run) else { break }  // the filesystem cannot: just write
                }
            }
        }
    }

    /// The byte ranges of a file that hold data (extents with a chunk), adjacent ones merged.
    static func dataRuns(_ e: Entry) -> [Range<Int64>] {
        var runs: [Range<Int64>] = []
        var off: Int64 = 0
        for x in e.extents ?? [] {
            if x.chunk != nil && x.length > 0 {
                if let last = runs.last, last.upperBound == off {
                    runs[runs.count - 1] = last.lowerBound..<(off + x.length)
                } else {
                    runs.append(off..<(off + x.length))
                }
            }
            off += x.length
        }
        return runs
    }

    /// Every chunk the tree needs and where its bytes go.
    func chunkDestinations(_ m: Manifest) -> [String: [Destination]] {
        var out: [String: [Destination]] = [:]
        for (i, e) in m.entries.enumerated() where e.type == .file {
            var off: Int64 = 0
            for x in e.extents ?? [] {
                if let c = x.chunk {
                    out[c, default: []].append(Destination(entry: i, fileOffset: off, chunkOffset: x.offset, length: x.length))
                }
                off += x.length
            }
        }
        return out
    }

    /// Fetches, verifies and writes `items`; returns the downloader's summary when the store has one.
    private func fetchAndWrite(_ items: [(info: ChunkInfo, dests: [Destination])], writer: ChunkWriter,
                               progress: ProgressReporter, fetched: Locked<(Int, Int64)>) async throws -> TransferSummary? {
        let byKey = Dictionary(items.map { ($0.info.key, $0) }, uniquingKeysWith: { a, _ in a })
        let consume: @Sendable (ChunkInfo, [Destination], [UInt8]) throws -> Void = { info, dests, stored in
            try writer.write(info: info, dests: dests, stored: stored)
            fetched.withLock { $0.0 += 1; $0.1 += Int64(stored.count) }
            progress.add(info.size)
        }
        if let bulk = store as? any BulkFetching {
            let reqs = items.map { FetchRequest(key: $0.info.key, expectedSize: $0.info.stored) }
            return try await bulk.fetchAll(reqs) { req, bytes in
                let item = byKey[req.key]!
                try consume(item.info, item.dests, bytes)
            }
        }
        let maxChunk = items.map { $0.info.size + $0.info.stored }.max() ?? 1
        let limit = max(1, min(options.parallel, Int(options.memoryLimit / max(1, maxChunk))))
        try await forEachBounded(items.count, limit: limit) { i in
            let item = items[i]
            let bytes: [UInt8]
            do { bytes = try await store.get(item.info.key) } catch let e as ChainsnapError where e.code == .notFound {
                throw ChainsnapError(.notFound, "chunk \(item.info.id) of this snapshot is missing from \(store.displayURL)",
                                     object: item.info.key,
                                     hint: "the store lost data (or a prune ran wrongly); restore another snapshot and run 'chainsnap snapshot verify'")
            }
            try consume(item.info, item.dests, bytes)
        }
        return nil
    }

    /// `--reuse-existing`: rebuilds chunks from the bytes the old tree holds at the same places;
    /// those whose SHA-256 matches are written without downloading.
    private func reuseFromExisting(work: [String: [Destination]], chunkInfo: [String: ChunkInfo], target: String,
                                   entries: [Entry], writer: ChunkWriter, progress: ProgressReporter) async throws -> (ids: [String], bytes: Int64) {
        let items = Array(work)
        let found = Locked<([String], Int64)>(([], 0))
        let limit = max(2, ProcessInfo.processInfo.activeProcessorCount)
        try await forEachBounded(items.count, limit: limit) { i in
            let (id, dests) = items[i]
            let info = chunkInfo[id]!
            guard let raw = Self.assemble(info: info, dests: dests, from: target, entries: entries),
                  SHA256Hasher.hex(raw) == id else { return }
            try writer.writeRaw(info: info, dests: dests, raw: raw)
            progress.add(info.size)
            found.withLock { $0.0.append(id); $0.1 += info.size }
        }
        let (ids, bytes) = found.withLock { $0 }
        if !ids.isEmpty { log("reused \(ids.count) chunks (\(ByteCount.format(bytes))) already present in '\(target)'") }
        return (ids, bytes)
    }

    static func assemble(info: ChunkInfo, dests: [Destination], from root: String, entries: [Entry]) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: Int(info.size))
        for d in dests {
            guard let f = try? RawFile(readingAt: root + "/" + entries[d.entry].path) else { return nil }
            let n = try? buf.withUnsafeMutableBytes { p in
                try f.read(into: UnsafeMutableRawBufferPointer(rebasing: p[Int(d.chunkOffset)..<Int(d.chunkOffset + d.length)]), at: d.fileOffset)
            }
            guard n == Int(d.length) else { return nil }
        }
        return buf
    }

    /// fsyncs every file, then applies modes and times (folders last, deepest first).
    private func finishTree(_ m: Manifest, in tree: String, writer: ChunkWriter) throws {
        // Files completed during the restore were fsynced in the background; sync the others.
        let flushed = writer.flushedEntries
        for (i, e) in m.entries.enumerated() where e.type == .file && !flushed.contains(i) {
            let f = try RawFile(readingAt: tree + "/" + e.path)
            try f.sync()
        }
        try writer.flusher.wait()
        for e in m.entries where e.type != .dir {
            try TreeMetadata.apply(tree + "/" + e.path, entry: e)
        }
        for e in m.entries.reversed() where e.type == .dir {
            try TreeMetadata.apply(tree + "/" + e.path, entry: e)
        }
        FS.syncDirectory(tree)
    }
}

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

/// Turns a stored chunk back into its bytes, checking its stored length, that it decompresses
/// to exactly its size, and that those bytes hash to its id. Restore and `verify --deep` share it.
enum ChunkDecoder {
    static func decode(_ info: ChunkInfo, stored: [UInt8], contexts: ContextPool) throws -> [UInt8] {
        guard stored.count == Int(info.stored) else {
            throw ChainsnapError(.corrupt, "chunk \(info.id) is \(stored.count) bytes in the store, the manifest says \(info.stored) (truncated or replaced)",
                                 object: info.key, hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'")
        }
        let ctx = contexts.take()
        defer { contexts.give(ctx) }
        let raw: [UInt8]
        do {
            raw = try [UInt8](unsafeUninitializedCapacity: Int(info.size)) { o, n in
                n = 0
                n = try stored.withUnsafeBytes { s in
                    try ctx.decompress(s, codec: info.codec, expectedSize: Int(info.size), into: UnsafeMutableRawBufferPointer(o))
                }
            }
        } catch {
            throw ChainsnapError(.corrupt, "chunk \(info.id) does not decompress", object: info.key,
                                 hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'",
                                 underlying: error)
        }
        let hash = SHA256Hasher.hex(raw)
        guard hash == info.id else {
            throw ChainsnapError(.corrupt, "chunk \(info.id) is corrupt: its content hashes to \(hash)", object: info.key,
                                 hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'")
        }
        return raw
    }
}

/// The list of finished chunks of a restore, one id per line, appended as chunks complete.
/// A killed restore reads it back and does not fetch those chunks again.
final class Journal: Sendable {
    let path: String
    let completed: Set<String>
    /// The journal was last written before the machine booted (a crash or power loss since).
    let predatesBoot: Bool
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        var done: Set<String> = []
        if let bytes = try? FS.readFile(path) {
            for line in bytes.split(separator: 10) where line.count == 64 {
                let s = String(decoding: line, as: UTF8.self)
                if Hex.isSHA256(s) { done.insert(s) }
            }
        }
        completed = done
        var st = stat()
        predatesBoot = stat(path, &st) == 0 && Double(st.st_mtim.tv_sec) < Journal.bootTime()
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw posixErrorPublic("open journal", path: path) }
    }

    deinit { close(fd) }

    /// When the machine booted (seconds since the epoch), from /proc/stat; 0 if unknown.
    static func bootTime() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// Appends one line in a single write(2), so concurrent writers never interleave.
    func record(_ id: String) throws {
        var line = id + "\n"
        let n = line.withUTF8 { p in Glibc.write(fd, p.baseAddress, p.count) }
        guard n == 65 else { throw posixErrorPublic("write journal", path: path) }
    }
}
