import Foundation
import Dispatch
import LocalFS
import RestoreCore
import Synchronization
import Codecs
import SnapshotCore
import Stores

/// Cuts a data folder into chunks, stores the ones the store lacks, then writes the manifest.
public struct SnapshotCreator: Sendable {
    public let store: any ObjectStore
    public let options: CreateOptions

    public init(store: any ObjectStore, options: CreateOptions) {
        self.store = store
        self.options = options
    }

    /// One unit of chunk work: a fixed-size region of a large file, or a pack of small files.
    enum Job: Sendable {
        case region(file: Int, offset: Int64, length: Int64)
        case pack(files: [Int], length: Int64)
    }

    /// The outcome of one job: a chunk id, or nil for an all-zero region that is not stored.
    struct JobResult: Sendable {
        var chunk: ChunkInfo?
        var isNew: Bool
    }

    public func run(directory: String) async throws -> CreateSummary {
        try store.requireWritable()
        guard options.chunkSize >= 4096 && options.chunkSize <= 256 << 20 else {
            throw ChainsnapError(.invalidArgument, "chunk size \(ByteCount.format(options.chunkSize)) is out of range",
                                 hint: "use a chunk size between 4KiB and 256MiB (default 4MiB)")
        }
        let root = FS.absolute(directory)
        let started = monotonicSeconds()
        guard FS.isDirectory(root) else {  // before the lock; the scan itself runs beside the reads (`scanAndRead`)
            throw ChainsnapError(.notFound, "'\(root)' is not a folder", object: root, hint: "pass the node's data folder (e.g. /data/db)")
        }

        let id = SnapshotID.next(after: try await SnapshotCatalog(store: store).ids().last, compactUTC: Self.compactNow(),
                                 random: UInt32.random(in: 0...UInt32.max))
        let lock = "{\"id\":\"\(id)\",\"host\":\"\(ProcessInfo.processInfo.hostName)\",\"started\":\"\(Self.rfc3339Now())\"}\n"
        try await store.put(SnapshotLayout.lockKey(id), bytes: Array(lock.utf8))
        do {
            // After the lock, before looking at which chunks exist: see `PruneRecord`.
            try await PruneRecord.waitForPrunes(in: store, timeout: options.pruneWait, poll: options.prunePoll,
                                                log: { options.log?($0) ?? writeStderr($0 + "\n") })
            let summary = try await build(id: id, root: root, started: started)
            try? await store.delete(SnapshotLayout.lockKey(id))
            return summary
        } catch {
            try? await store.delete(SnapshotLayout.lockKey(id))
            throw error
        }
    }

    private func build(id: String, root: String, started: Double) async throws -> CreateSummary {
        let (known, previous) = try await previousSnapshot()
        let progress = ProgressReporter(label: "snapshot \(id)", total: 0, interval: options.progressInterval, quiet: options.quiet)
        progress.start()
        defer { progress.finish() }
        let written = Locked<Set<String>>([])
        let pool = ContextPool(level: options.level)
        let changed = ChangedFiles()
        let scanned = try await scanAndRead(root: root, previous: previous, known: known, written: written, pool: pool,
                                            progress: progress, changed: changed)
        var entries = scanned.entries
        var jobs = scanned.jobs
        var results = scanned.results
        let unchanged = scanned.unchanged
        for w in scanned.warnings { writeStderr("warning: \(w)\n") }
        var warnings = scanned.warnings
        // Files that changed while read are read once more (and their first-pass regions dropped).
        let retried = changed.all
        var firstPassSizes: [Int: Int64] = [:]
        let firstPassJobs = jobs.count
        if !retried.isEmpty {
            let names = retried.sorted().map { entries.path(at: $0) }
            // The first read's sizes of the files read again; no second copy of every entry is kept
            // (at a million files it would be 64 MB, and `entries` is updated in place below).
            firstPassSizes = Dictionary(uniqueKeysWithValues: retried.map { ($0, entries.size(at: $0)) })
            writeStderr("warning: \(names.count) files changed while being read; reading them again: \(names.prefix(5).joined(separator: ", "))\n")
            entries = try Self.refreshEntries(entries, changed: retried, root: root)
            var planner = JobPlanner(chunkSize: options.chunkSize, packThreshold: options.packThreshold)
            var retryPlanned: [PlannedJob] = []
            for i in retried.sorted() { retryPlanned += planner.add(entries, i) }
            retryPlanned += planner.finish()
            let retryJobs = planner.jobs
            let again = ChangedFiles()
            let retryResults = try await runJobs(retryPlanned, root: root, known: known, written: written, pool: pool,
                                                 progress: progress, changed: again)
            if !again.all.isEmpty {
                let w = try Self.changedAgain(again.all.sorted().map { entries.path(at: $0) }, allowChanging: options.allowChanging)
                writeStderr("warning: \(w)\n")
                warnings.append(w)
            }
            jobs += retryJobs
            results += retryResults
        }

        written.withLock { $0 = [] }  // every chunk is written: the ids need not be held twice

        // Assemble extents straight into the entry table: a packed file's one extent as its pack
        // is met, a large file's regions gathered first (few files; no array per small file).
        // The chunk table is gathered as a list, then sorted and its repeats dropped: at 500,000
        // chunks a dictionary of it (64 bytes a bucket, grown by doubling) and a set of the used
        // ids cost some 120 MB more.
        var regionExtents: [Int: [Extent]] = [:]
        var gathered: [(chunk: ChunkInfo, isNew: Bool)] = []
        var summary = CreateSummary(id: id, manifest: .placeholder, newChunks: 0, newStoredBytes: 0, newRawBytes: 0,
                                    reusedChunks: 0, reusedRawBytes: 0, zeroBytes: 0, seconds: 0, warnings: warnings)
        for (i, x) in unchanged {
            regionExtents[i] = x
            for c in x.compactMap(\.chunk) { gathered.append((known[c]!, false)) }
            summary.zeroBytes += x.filter { $0.chunk == nil }.reduce(0) { $0 + $1.length }
        }
        for (k, (job, result)) in zip(jobs, results).enumerated() {
            let r = result!
            // A first-pass read of a file that changed: superseded by its second read.
            let stale = k < firstPassJobs
            if stale, case .region(let file, _, _) = job, retried.contains(file) { continue }
            if let c = r.chunk { gathered.append((c, r.isNew)) }
            switch job {
            case .region(let file, _, let length):
                if let c = r.chunk {
                    regionExtents[file, default: []].append(Extent(chunk: c.id, offset: 0, length: length))
                } else {
                    summary.zeroBytes += length
                    if let last = regionExtents[file]?.last, last.chunk == nil {
                        regionExtents[file]![regionExtents[file]!.count - 1].length += length
                    } else {
                        regionExtents[file, default: []].append(Extent(chunk: nil, offset: 0, length: length))
                    }
                }
            case .pack(let files, _):
                var off: Int64 = 0
                for f in files {
                    let size = stale ? firstPassSizes[f] ?? entries.size(at: f) : entries.size(at: f)
                    if !(stale && retried.contains(f)) {
                        entries.setExtents(at: f, [Extent(chunk: r.chunk!.id, offset: off, length: size)])
                    }
                    off += size
                }
            }
        }
        jobs = []
        results = []
        Self.keepDistinct(&gathered)
        var candidates = gathered
        gathered = []
        var used = [Bool](repeating: false, count: candidates.count)
        var totals = Totals()
        for i in entries.indices {
            switch entries.kind(at: i) {
            case .file:
                totals.files += 1
                totals.bytes += entries.size(at: i)
                if let x = regionExtents.removeValue(forKey: i) {
                    entries.setExtents(at: i, x)
                } else if entries.extentCount(at: i) == nil {
                    entries.setExtents(at: i, [])  // empty, or emptied before its second read
                }
                entries.forEachExtent(at: i) { x in
                    if let c = x.chunk, let k = Self.position(of: c, in: candidates) { used[k] = true }
                }
            case .dir: totals.dirs += 1
            case .symlink: totals.symlinks += 1
            }
        }
        // Only chunks a file names (not those of a first read that was read again).
        var chunks: [ChunkInfo] = []
        chunks.reserveCapacity(used.reduce(0) { $0 + ($1 ? 1 : 0) })
        for (k, c) in candidates.enumerated() where used[k] {
            chunks.append(c.chunk)
            if c.isNew { summary.newChunks += 1; summary.newStoredBytes += c.chunk.stored; summary.newRawBytes += c.chunk.size }
            else { summary.reusedChunks += 1; summary.reusedRawBytes += c.chunk.size }
        }
        candidates = []
        totals.storedBytes = chunks.reduce(0) { $0 + $1.stored }
        totals.newBytes = summary.newStoredBytes
        var source = options.source
        source.host = source.host ?? ProcessInfo.processInfo.hostName
        source.path = source.path ?? root
        var manifest = Manifest(id: id, createdAt: Self.rfc3339Now(), tool: "chainsnap \(toolVersion)", source: source,
                                chunkSize: options.chunkSize, compression: options.codec.rawValue, chunks: chunks,
                                entries: entries, totals: totals)
        manifest.signing = options.signingKey?.info
        let manifestBytes = try SnapshotLayout.encode(manifest)
        // Every chunk must be durable before the manifest that names it exists.
        try await store.flush()
        if let key = options.signingKey {
            // The signature goes first: a signed snapshot is never visible without its signature.
            try await store.put(SnapshotLayout.signatureKey(id), bytes: try key.sign(manifestBytes, object: SnapshotLayout.manifestKey(id)))
        }
        try await store.put(SnapshotLayout.manifestKey(id), bytes: manifestBytes)
        try await store.flush()
        // Only after the manifest is durable: a mirror that cannot be listed serves `latest` from this.
        try await store.put(SnapshotLayout.latestKey, bytes: Array((id + "\n").utf8))
        try await store.flush()
        summary.manifest = manifest
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    /// Sorts `gathered` by chunk id in place and drops repeats, each chunk kept once and new if any
    /// of its copies was written by this run (two identical files race to write one chunk).
    static func keepDistinct(_ gathered: inout [(chunk: ChunkInfo, isNew: Bool)]) {
        gathered.sort { $0.chunk.id < $1.chunk.id }
        var w = 0
        for r in gathered.indices {
            if w > 0 && gathered[w - 1].chunk.id == gathered[r].chunk.id {
                if gathered[r].isNew { gathered[w - 1].isNew = true }
            } else {
                gathered[w] = gathered[r]
                w += 1
            }
        }
        gathered.removeLast(gathered.count - w)
    }

    /// Where chunk `id` is in `sorted` (sorted by id), by binary search.
    static func position(of id: String, in sorted: [(chunk: ChunkInfo, isNew: Bool)]) -> Int? {
        let k = sorted.partitionPoint { $0.chunk.id < id }
        return k < sorted.count && sorted[k].chunk.id == id ? k : nil
    }

    /// Chunks of the newest snapshot (those need no existence check: prune never removes them) and
    /// its large files by path, whose extents unchanged files keep (`JobPlanner`); its manifest is
    /// not kept while the new one is made, nor any of its small files (no index of a million of them).
    private func previousSnapshot() async throws -> (KnownChunks, [String: Entry]) {
        let catalog = SnapshotCatalog(store: store)
        let threshold = options.packThreshold
        let keep: ManifestReader.Entries = options.reuseUnchanged ? .each { e, _ in e.type == .file && e.size >= threshold } : .skip
        guard let last = try await catalog.ids().last, let m = try? await catalog.load(last, entries: keep) else { return (KnownChunks([]), [:]) }
        var byPath: [String: Entry] = [:]
        if options.reuseUnchanged && m.chunkSize == options.chunkSize {
            for e in m.entries where e.type == .file && e.size >= threshold { byPath[e.path] = e }
        }
        return (KnownChunks(m.chunks), byPath)
    }

    /// What the scan found and what reading it gave: the entries, the jobs in plan order and their
    /// results (the same order), and the large files kept from the newest snapshot.
    struct Scanned {
        var entries: EntryTable
        var warnings: [String]
        var jobs: [Job]
        var results: [JobResult?]
        var unchanged: [Int: [Extent]]
    }

    /// Walks the tree on a thread of its own and hands each job to the readers as soon as it is
    /// planned, so the walk (a system call or two a name) runs beside the reading, hashing and
    /// compressing instead of before it. At most `4 × parallel` planned jobs wait at a time (a gate
    /// the walk blocks on), so what is queued stays small however large the tree.
    private func scanAndRead(root: String, previous: [String: Entry], known: KnownChunks, written: Locked<Set<String>>,
                             pool: ContextPool, progress: ProgressReporter, changed: ChangedFiles) async throws -> Scanned {
        let (stream, feed) = AsyncThrowingStream<PlannedJob, any Error>.makeStream()
        let limit = max(1, options.parallel)
        let gate = DispatchSemaphore(value: 4 * limit)
        let stop = Atomic<Bool>(false)
        let outcome = Locked<Scanned?>(nil)
        let (chunkSize, packThreshold) = (options.chunkSize, options.packThreshold)
        let walker = Thread {
            do {
                var scanner = TreeScanner(root: root)
                var planner = JobPlanner(chunkSize: chunkSize, packThreshold: packThreshold, previous: previous, known: known)
                var total: Int64 = 0
                func hand(_ planned: [PlannedJob]) throws {
                    for j in planned {
                        gate.wait()
                        if stop.load(ordering: .relaxed) { throw CancellationError() }
                        feed.yield(j)
                    }
                }
                let entries = try scanner.scan { table, i in
                    total += table.size(at: i)
                    progress.setTotal(total, known: false)
                    let planned = planner.add(table, i)
                    if planner.unchanged[i] != nil { progress.add(table.size(at: i)) }
                    try hand(planned)
                }
                progress.setTotal(total)
                try hand(planner.finish())
                outcome.withLock { $0 = Scanned(entries: entries, warnings: scanner.warnings, jobs: planner.jobs, results: [],
                                                 unchanged: planner.unchanged) }
                feed.finish()
            } catch {
                feed.finish(throwing: error)
            }
        }
        walker.stackSize = 4 << 20  // the walk recurses once a folder level
        walker.start()
        let collected = Locked<[Int: JobResult]>([:])
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for try await planned in stream {
                    if running >= limit {
                        try await group.next()
                        running -= 1
                    }
                    group.addTask {
                        let r = try await self.process(planned, root: root, known: known, written: written, pool: pool, changed: changed)
                        gate.signal()
                        progress.add(planned.job.length)
                        collected.withLock { $0[planned.number] = r }
                    }
                    running += 1
                }
                try await group.waitForAll()
            }
        } catch {
            // The walk may be waiting at the gate: let it go, and stop it there.
            stop.store(true, ordering: .relaxed)
            for _ in 0..<(4 * limit + 1) { gate.signal() }
            throw error
        }
        guard var scanned = outcome.withLock({ $0 }) else {
            throw ChainsnapError(.io, "the scan of '\(root)' ended without its result", object: root, hint: "this is a bug in chainsnap; please report it")
        }
        let byNumber = collected.withLock { $0 }
        scanned.results = scanned.jobs.indices.map { byNumber[$0] }
        return scanned
    }

    /// About one file name in 64 ends a pack (FNV-1a of the path).
    static func isPackBoundary(_ path: String) -> Bool {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in path.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h & 63 == 0
    }

    /// Runs `planned` (at most `options.parallel` at once); results in the order given.
    private func runJobs(_ planned: [PlannedJob], root: String, known: KnownChunks, written: Locked<Set<String>>,
                         pool: ContextPool, progress: ProgressReporter, changed: ChangedFiles) async throws -> [JobResult?] {
        let collected = Locked([JobResult?](repeating: nil, count: planned.count))
        try await forEachBounded(planned.count, limit: options.parallel) { i in
            let r = try await self.process(planned[i], root: root, known: known, written: written, pool: pool, changed: changed)
            progress.add(planned[i].job.length)
            collected.withLock { $0[i] = r }
        }
        return collected.withLock { $0 }
    }

    private func process(_ planned: PlannedJob, root: String, known: KnownChunks,
                         written: Locked<Set<String>>, pool: ContextPool, changed: ChangedFiles) async throws -> JobResult {
        let job = planned.job
        let buf = try [UInt8](unsafeUninitializedCapacity: Int(job.length)) { p, n in
            n = 0
            let raw = UnsafeMutableRawBufferPointer(p)
            switch job {
            case .region(_, let offset, let length):
                let file = planned.files[0]
                let f = try RawFile(readingAt: root + "/" + file.path)
                try readChecked(f, index: file.index, path: file.path, size: file.size, mtimeNs: file.mtimeNs,
                                into: raw, range: 0..<Int(length), at: offset, changed: changed)
            case .pack:
                // A pack's files are neighbours in path order, mostly in one folder: each is opened
                // relative to its folder's descriptor (no walk of the full path per file).
                var off = 0
                var folder: (rel: Substring, handle: DirectoryHandle)?
                for file in planned.files {
                    let path = file.path
                    let slash = path.lastIndex(of: "/")
                    let parent = slash.map { path[..<$0] } ?? ""
                    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
                    if folder == nil || folder!.rel != parent {
                        folder = (parent, try DirectoryHandle(parent.isEmpty ? root : root + "/" + parent))
                    }
                    let size = Int(file.size)
                    if let f = try folder!.handle.openForReadingIfPresent(name) {
                        try readChecked(f, index: file.index, path: path, size: file.size, mtimeNs: file.mtimeNs,
                                        into: raw, range: off..<(off + size), at: 0, changed: changed)
                    } else {  // removed, or replaced by a symlink, since the scan: its second look says which
                        UnsafeMutableRawBufferPointer(rebasing: raw[off..<(off + size)]).initializeMemory(as: UInt8.self, repeating: 0)
                        changed.mark(file.index)
                    }
                    off += size
                }
            }
            n = Int(job.length)
        }
        if case .region = job, Self.isAllZero(buf) { return JobResult(chunk: nil, isNew: false) }
        let hash = SHA256Hasher.hex(buf)
        if let k = known[hash] { return JobResult(chunk: k, isNew: false) }
        let claimed = written.withLock { $0.insert(hash).inserted }
        for codec in [options.codec.rawValue, options.codec == .zstd ? "lz4" : "zstd"] {
            if let info = try await store.head(ChunkInfo.key(id: hash, codec: codec)), info.size > 0 {
                return JobResult(chunk: ChunkInfo(id: hash, size: job.length, stored: info.size, codec: codec), isNew: false)
            }
        }
        let ctx = pool.take()
        defer { pool.give(ctx) }
        let compressed = try buf.withUnsafeBytes { try ctx.compress($0, codec: options.codec) }
        try await store.put(ChunkInfo.key(id: hash, codec: options.codec.rawValue), bytes: compressed)
        return JobResult(chunk: ChunkInfo(id: hash, size: job.length, stored: Int64(compressed.count), codec: options.codec.rawValue),
                         isNew: claimed)
    }

    static func isAllZero(_ buf: [UInt8]) -> Bool {
        buf.withUnsafeBytes { raw in
            let words = raw.count / 8
            let w = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            var acc: UInt64 = 0
            var i = 0
            while i < words {
                acc |= w[i]
                if acc != 0 { return false }
                i += 1
            }
            for j in (words * 8)..<raw.count where raw[j] != 0 { return false }
            return true
        }
    }

    static func compactNow() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: Date())
    }

    static func rfc3339Now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}

extension SnapshotCreator.Job {
    var length: Int64 {
        switch self {
        case .region(_, _, let l): return l
        case .pack(_, let l): return l
        }
    }
}

extension Manifest {
    static let placeholder = Manifest(id: "", createdAt: "", tool: "", source: SourceInfo(), chunkSize: 0,
                                      compression: "", chunks: [], entries: [], totals: Totals())
}

/// Codec contexts reused across chunks (creating a zstd context per chunk costs allocations).
final class ContextPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [ChunkCodecContext] = []
    private let level: Int

    init(level: Int) { self.level = level }

    func take() -> ChunkCodecContext {
        lock.withLock { free.popLast() } ?? ChunkCodecContext(level: level)
    }

    func give(_ c: ChunkCodecContext) { lock.withLock { free.append(c) } }
}

/// The chunk table of the newest snapshot, looked up by id: its chunks and a sorted index of
/// their digests (40 bytes a chunk, where a dictionary of `ChunkInfo`s by id took 64–128).
struct KnownChunks: Sendable {
    private let chunks: [ChunkInfo]
    private let index: ChunkTableIndex

    init(_ chunks: [ChunkInfo]) {
        self.chunks = chunks
        index = ChunkTableIndex(chunks)
    }

    subscript(id: String) -> ChunkInfo? { index.index(of: id).map { chunks[$0] } }
}
