#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Codecs
import LocalFS
import RestoreCore
import SnapshotCore
import Stores
import Transfer

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

    /// Restores into `directory`: load and check the manifest, apply the target's rules
    /// (`prepare`), build the skeleton, skip what the journal says is done (`remainingWork`),
    /// take what `--reuse-existing` finds in place, fetch the rest (`fetch`), make it durable
    /// with modes and times (`finishTree`), then move it into place with the marker.
    public func run(into directory: String) async throws -> RestoreSummary {
        let started = monotonicSeconds()
        let (id, manifest) = try await loadManifest()
        let target = try RestoreTarget(path: directory)
        // One restore per target, from before the plan until the marker is written.
        let lock = try TargetLock.acquire(target: target.path, what: "snapshot \(id) from \(store.displayURL)",
                                          wait: options.lockWait, log: log)
        defer { lock.release() }
        var summary = RestoreSummary(snapshot: id, target: target.path)
        summary.treeBytes = manifest.totals.bytes
        summary.files = manifest.totals.files
        let replaceExisting: Bool
        switch try prepare(target, id: id, manifest: manifest, summary: &summary) {
        case .alreadyDone:
            return summary
        case .finishedMove:
            summary.seconds = monotonicSeconds() - started
            return summary
        case .write(let replace):
            replaceExisting = replace
        }

        try buildSkeleton(manifest, in: target.stagingTree)
        let journal = try Journal(path: target.stagingRoot + "/journal")
        let chunkInfo = Dictionary(manifest.chunks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var work = remainingWork(manifest, chunkInfo: chunkInfo, journal: journal, tree: target.stagingTree, summary: &summary)

        let remainingBytes = work.keys.reduce(Int64(0)) { $0 + chunkInfo[$1]!.size }
        let progress = ProgressReporter(label: "restore \(id)", total: remainingBytes, interval: options.progressInterval,
                                        statusFile: options.progressFile, quiet: options.quiet,
                                        observer: options.progressObserver)
        progress.start()
        let writer = ChunkWriter(tree: target.stagingTree, entries: manifest.entries, journal: journal, work: work)

        if options.reuseExisting && !work.isEmpty {
            let reused = try await reuseFromExisting(work: work, chunkInfo: chunkInfo, target: target.path,
                                                     entries: manifest.entries, writer: writer, progress: progress)
            for k in reused.ids { work.removeValue(forKey: k) }
            summary.reusedChunks = reused.ids.count
            summary.reusedBytes = reused.bytes
        }
        do {
            try await fetch(work, chunkInfo: chunkInfo, writer: writer, progress: progress, summary: &summary)
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()

        try finishTree(manifest, in: target.stagingTree, writer: writer)
        try target.commit(marker: marker(manifest), replaceExisting: replaceExisting)
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    /// The snapshot to restore (the newest for nil/`latest`) and its checked manifest.
    private func loadManifest() async throws -> (id: String, manifest: Manifest) {
        let catalog = SnapshotCatalog(store: store)
        let id = try await catalog.resolve(options.snapshot)
        let manifest = try await catalog.load(id, trustedKeys: options.trustedKeys)
        try ManifestValidator.validate(manifest)
        if !options.allowOtherNetwork {
            try NetworkCheck.check(snapshot: id, source: manifest.source, network: options.expectedNetwork, chainId: options.expectedChainId)
        }
        return (id, manifest)
    }

    /// What `prepare` found the target needs.
    private enum Start {
        /// The target already holds this snapshot.
        case alreadyDone
        /// An interrupted run had verified everything; its move into place is now finished.
        case finishedMove
        /// Chunks are to be written into the staging tree (begun now, or resumed).
        case write(replaceExisting: Bool)
    }

    /// Applies the target's rules (`RestoreTarget.plan`): nothing to do, finish an interrupted
    /// move, resume writing, or start afresh after the space check.
    private func prepare(_ target: RestoreTarget, id: String, manifest: Manifest, summary: inout RestoreSummary) throws -> Start {
        switch try target.plan(identity: id, force: options.force, allowExisting: options.reuseExisting, log: log) {
        case .alreadyRestored(let m):
            log("'\(target.path)' already holds snapshot \(id) (restored \(m.restoredAt)); nothing to do")
            summary.alreadyRestored = true
            return .alreadyDone
        case .resume(let phase, let replace):
            log("resuming the interrupted restore of snapshot \(id) into '\(target.path)' (\(phase))")
            summary.resumed = true
            if phase == .moving {
                try target.commit(marker: marker(manifest), replaceExisting: replace)
                return .finishedMove
            }
            return .write(replaceExisting: replace)
        case .fresh(let replace):
            var dataBytes: Int64 = 0
            for i in manifest.entries.indices {
                manifest.entries.forEachExtent(at: i) { if $0.chunk != nil { dataBytes += $0.length } }
            }
            try target.checkSpace(bytes: dataBytes, inodes: Int64(manifest.entries.count))
            if replace { log("replacing the existing contents of '\(target.path)' (--force)") }
            try target.beginStaging(identity: id, replaceExisting: replace)
            return .write(replaceExisting: replace)
        }
    }

    /// Every chunk still to write, and where: all of the manifest's chunks but those the journal
    /// names as finished (re-checked on disk when the machine restarted since).
    private func remainingWork(_ manifest: Manifest, chunkInfo: [String: ChunkInfo], journal: Journal, tree: String,
                               summary: inout RestoreSummary) -> [String: [Destination]] {
        var work = chunkDestinations(manifest)
        var done = journal.completed
        if !done.isEmpty && journal.predatesBoot {
            // After a crash or power loss the journal may name chunks whose bytes never reached
            // the disk: check those against the staging tree before trusting them.
            log("the machine restarted since the interrupted restore; re-checking \(done.count) finished chunks on disk")
            done = done.filter { id in
                guard let info = chunkInfo[id], let dests = work[id],
                      let raw = Self.assemble(info: info, dests: dests, from: tree, entries: manifest.entries) else { return false }
                return SHA256Hasher.hex(raw) == id
            }
        }
        summary.resumedChunks = work.keys.filter { done.contains($0) }.count
        for k in done { work.removeValue(forKey: k) }
        if summary.resumedChunks > 0 { log("\(summary.resumedChunks) chunks were finished by the earlier run and are kept") }
        return work
    }

    /// Downloads and writes the chunks of `work`; records counts and retries in `summary`.
    private func fetch(_ work: [String: [Destination]], chunkInfo: [String: ChunkInfo], writer: ChunkWriter,
                       progress: ProgressReporter, summary: inout RestoreSummary) async throws {
        let fetched = Locked<(Int, Int64)>((0, 0))
        let items = work.map { (info: chunkInfo[$0.key]!, dests: $0.value) }.sorted { $0.info.id < $1.info.id }
        if let t = try await fetchAndWrite(items, writer: writer, progress: progress, fetched: fetched) {
            summary.retries = t.retries
            summary.throttled = t.throttled
        }
        (summary.fetchedChunks, summary.fetchedBytes) = fetched.withLock { $0 }
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
                if ChunkWriter.isWhole(e) { continue }  // created whole when its chunk is written
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
        for i in m.entries.indices where m.entries.kind(at: i) == .file {
            var off: Int64 = 0
            m.entries.forEachExtent(at: i) { x in
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
        // Each store key is built once and shared by the map and the requests (an 80-byte string per
        // chunk: at 500,000 chunks a second copy would be 50 MB).
        let keys = items.map { $0.info.key }
        let byKey = Dictionary(zip(keys, items.indices), uniquingKeysWith: { a, _ in a })
        let consume: @Sendable (ChunkInfo, [Destination], [UInt8]) throws -> Void = { info, dests, stored in
            try writer.write(info: info, dests: dests, stored: stored)
            fetched.withLock { $0.0 += 1; $0.1 += Int64(stored.count) }
            progress.add(info.size)
        }
        if let bulk = store as? any BulkFetching {
            let reqs = items.indices.map { FetchRequest(key: keys[$0], expectedSize: items[$0].info.stored) }
            return try await bulk.fetchAll(reqs) { req, bytes in
                let item = items[byKey[req.key]!]
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
                                   entries: EntryTable, writer: ChunkWriter, progress: ProgressReporter) async throws -> (ids: [String], bytes: Int64) {
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

    static func assemble(info: ChunkInfo, dests: [Destination], from root: String, entries: EntryTable) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: Int(info.size))
        for d in dests {
            guard let f = try? RawFile(readingAt: root + "/" + entries.path(at: d.entry)) else { return nil }
            let n = try? buf.withUnsafeMutableBytes { p in
                try f.read(into: UnsafeMutableRawBufferPointer(rebasing: p[Int(d.chunkOffset)..<Int(d.chunkOffset + d.length)]), at: d.fileOffset)
            }
            guard n == Int(d.length) else { return nil }
        }
        return buf
    }

    /// Applies the modes and times not set while writing (folders last, deepest first), then
    /// makes the whole staging tree durable with one `syncfs`: files, folders and metadata are
    /// on disk before `commit` moves anything into place, as with an `fsync` per file, for one
    /// system call instead of one per file. Large files were already fsynced in the background.
    private func finishTree(_ m: Manifest, in tree: String, writer: ChunkWriter) throws {
        try writer.flusher.wait()
        let finalized = writer.finalizedEntries
        for (i, e) in m.entries.enumerated() where e.type != .dir && !finalized.contains(i) {
            try TreeMetadata.applyIfDifferent(tree + "/" + e.path, entry: e)
        }
        for e in m.entries.reversed() where e.type == .dir {
            try TreeMetadata.applyIfDifferent(tree + "/" + e.path, entry: e)
        }
        try DirectoryHandle(tree).syncFileSystem()
    }
}
