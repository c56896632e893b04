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
    /// Chunks requested from a bulk store at once (small in tests, to cross batch boundaries).
    var fetchBatch = 4096

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
        var plan = try remainingWork(manifest, journal: journal, tree: target.stagingTree, summary: &summary)

        let remainingBytes = plan.remaining.reduce(Int64(0)) { $0 + manifest.chunks[Int($1)].size }
        let progress = ProgressReporter(label: "restore \(id)", total: remainingBytes, interval: options.progressInterval,
                                        statusFile: options.progressFile, quiet: options.quiet,
                                        observer: options.progressObserver)
        progress.start()
        let writer = ChunkWriter(tree: target.stagingTree, entries: manifest.entries, journal: journal, plan: plan)

        if options.reuseExisting && !plan.remaining.isEmpty {
            let reused = try await reuseFromExisting(plan: plan, chunks: manifest.chunks, target: target.path,
                                                     entries: manifest.entries, writer: writer, progress: progress)
            plan.removeAll { reused.chunks.contains($0) }
            summary.reusedChunks = reused.chunks.count
            summary.reusedBytes = reused.bytes
        }
        do {
            try await fetch(plan, chunks: manifest.chunks, writer: writer, progress: progress, summary: &summary)
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
    private func remainingWork(_ manifest: Manifest, journal: Journal, tree: String,
                               summary: inout RestoreSummary) throws -> ChunkPlan {
        var plan = try ChunkPlan(manifest, index: ChunkTableIndex(manifest.chunks))
        let done = journal.completed
        guard !done.isEmpty else { return plan }
        // After a crash or power loss the journal may name chunks whose bytes never reached
        // the disk: check those against the staging tree before trusting them.
        let recheck = journal.predatesBoot
        if recheck { log("the machine restarted since the interrupted restore; re-checking \(done.count) finished chunks on disk") }
        var kept = 0
        let whole = plan
        plan.removeAll { k in
            let info = manifest.chunks[Int(k)]
            guard let d = ChunkDigest(id: info.id), done.contains(d) else { return false }
            if recheck {
                guard let raw = Self.assemble(info: info, dests: whole.destinations(of: k), from: tree, entries: manifest.entries),
                      ChunkDigest(id: SHA256Hasher.hex(raw)) == d else { return false }
            }
            kept += 1
            return true
        }
        summary.resumedChunks = kept
        if kept > 0 { log("\(kept) chunks were finished by the earlier run and are kept") }
        return plan
    }

    /// Downloads and writes the chunks of `plan`; records counts and retries in `summary`.
    private func fetch(_ plan: ChunkPlan, chunks: [ChunkInfo], writer: ChunkWriter,
                       progress: ProgressReporter, summary: inout RestoreSummary) async throws {
        let fetched = Locked<(Int, Int64)>((0, 0))
        if let t = try await fetchAndWrite(plan, chunks: chunks, writer: writer, progress: progress, fetched: fetched) {
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

    /// Fetches, verifies and writes the chunks of `plan`; returns the downloader's summary when
    /// the store has one. A bulk store is asked in batches (`BulkFetching.fetchAll(_:batchSize:…)`).
    private func fetchAndWrite(_ plan: ChunkPlan, chunks: [ChunkInfo], writer: ChunkWriter,
                               progress: ProgressReporter, fetched: Locked<(Int, Int64)>) async throws -> TransferSummary? {
        let consume: @Sendable (Int32, [UInt8]) throws -> Void = { k, stored in
            let info = chunks[Int(k)]
            try writer.write(info: info, dests: plan.destinations(of: k), stored: stored)
            fetched.withLock { $0.0 += 1; $0.1 += Int64(stored.count) }
            progress.add(info.size)
        }
        let all = plan.remaining
        if let bulk = store as? any BulkFetching {
            return try await bulk.fetchAll(all, batchSize: fetchBatch, request: {
                FetchRequest(key: chunks[Int($0)].key, expectedSize: chunks[Int($0)].stored)
            }, consume: consume)
        }
        let maxChunk = all.map { chunks[Int($0)].size + chunks[Int($0)].stored }.max() ?? 1
        let limit = max(1, min(options.parallel, Int(options.memoryLimit / max(1, maxChunk))))
        try await forEachBounded(all.count, limit: limit) { i in
            let info = chunks[Int(all[i])]
            let bytes: [UInt8]
            do { bytes = try await store.get(info.key) } catch let e as ChainsnapError where e.code == .notFound {
                throw ChainsnapError(.notFound, "chunk \(info.id) of this snapshot is missing from \(store.displayURL)",
                                     object: info.key,
                                     hint: "the store lost data (or a prune ran wrongly); restore another snapshot and run 'chainsnap snapshot verify'")
            }
            try consume(all[i], bytes)
        }
        return nil
    }

    /// `--reuse-existing`: rebuilds chunks from the bytes the old tree holds at the same places;
    /// those whose SHA-256 matches are written without downloading.
    private func reuseFromExisting(plan: ChunkPlan, chunks: [ChunkInfo], target: String, entries: EntryTable,
                                   writer: ChunkWriter, progress: ProgressReporter) async throws -> (chunks: Set<Int32>, bytes: Int64) {
        let all = plan.remaining
        let found = Locked<(Set<Int32>, Int64)>(([], 0))
        let limit = max(2, ProcessInfo.processInfo.activeProcessorCount)
        try await forEachBounded(all.count, limit: limit) { i in
            let k = all[i]
            let info = chunks[Int(k)]
            let dests = plan.destinations(of: k)
            guard let raw = Self.assemble(info: info, dests: dests, from: target, entries: entries),
                  SHA256Hasher.hex(raw) == info.id else { return }
            try writer.writeRaw(info: info, dests: dests, raw: raw)
            progress.add(info.size)
            found.withLock { _ = $0.0.insert(k); $0.1 += info.size }
        }
        let (reused, bytes) = found.withLock { $0 }
        if !reused.isEmpty { log("reused \(reused.count) chunks (\(ByteCount.format(bytes))) already present in '\(target)'") }
        return (reused, bytes)
    }

    static func assemble(info: ChunkInfo, dests: ArraySlice<Destination>, from root: String, entries: EntryTable) -> [UInt8]? {
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
