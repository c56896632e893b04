import Foundation
import SnapshotCore
import Stores

/// What `snapshot prune` removed (or would remove, with `dryRun`).
public struct PruneSummary: Sendable, Codable {
    public var removedSnapshots: [String] = []
    public var keptSnapshots: [String] = []
    public var removedChunks = 0
    public var removedBytes: Int64 = 0
    /// Why unreferenced chunks were kept this time (a snapshot being written), if they were.
    public var chunksDeferred: String?
    public var dryRun = false
}

/// `snapshot prune --keep-last N`: removes older manifests, then the chunks no remaining
/// manifest references. It never removes a chunk any kept manifest names, and removes no
/// chunks at all while a `snapshot create` holds a lock, nor chunks younger than `grace`
/// seconds (a create may be about to reference them).
public struct SnapshotPruner: Sendable {
    public let store: any ObjectStore
    public var keepLast: Int
    public var dryRun: Bool
    public var grace: Double
    /// Locks older than this are treated as left behind by a killed create.
    public var staleLockAge: Double = 24 * 3600
    /// For tests: runs after the pending-deletion record is written and the locks re-checked,
    /// right before the first chunk is deleted (the moment a racing create matters).
    public var beforeDeleting: (@Sendable () async -> Void)? = nil
    /// For tests: runs right after the pending-deletion record is written, before the lock re-check.
    public var afterRecord: (@Sendable () async -> Void)? = nil

    public init(store: any ObjectStore, keepLast: Int, dryRun: Bool, grace: Double = 900) {
        self.store = store
        self.keepLast = keepLast
        self.dryRun = dryRun
        self.grace = grace
    }

    public func run(log: (String) -> Void) async throws -> PruneSummary {
        try store.requireWritable()
        guard keepLast >= 1 else {
            throw ChainsnapError(.invalidArgument, "--keep-last must be at least 1", hint: "prune never removes every snapshot")
        }
        var s = PruneSummary(dryRun: dryRun)
        let catalog = SnapshotCatalog(store: store)
        let ids = try await catalog.ids()
        s.keptSnapshots = Array(ids.suffix(keepLast))
        s.removedSnapshots = Array(ids.dropLast(keepLast))

        // Load every kept manifest first: if one cannot be read, stop before deleting anything.
        // Chunks are named compactly (`ChunkName`), not by key strings: 500,000 of them cost some
        // 30 MB here instead of 80.
        var referenced: Set<ChunkName> = []
        for id in s.keptSnapshots {
            let m = try await catalog.load(id, entries: .skip)  // the chunk table is all prune needs
            for c in m.chunks {
                // A chunk named by no SHA-256 id has no object prune could tell apart: stop, delete nothing.
                guard let n = ChunkName(c) else {
                    throw ChainsnapError(.corrupt, "snapshot \(id) names chunk '\(c.id)', which is not a SHA-256 id; prune deleted nothing",
                                         object: SnapshotLayout.manifestKey(id),
                                         hint: "run 'chainsnap snapshot verify' on it; prune keeps every chunk a kept snapshot names")
                }
                referenced.insert(n)
            }
        }
        // Manifests go first, so no snapshot ever names a deleted chunk.
        for id in s.removedSnapshots {
            log((dryRun ? "would remove" : "removing") + " snapshot \(id)")
            if !dryRun {
                try await store.delete(SnapshotLayout.manifestKey(id))
                // Its signature, if it was signed (after the manifest, so no manifest is left unsigned).
                do { try await store.delete(SnapshotLayout.signatureKey(id)) } catch let e as ChainsnapError where e.code == .notFound {}
            }
        }
        if let busy = try await activeLock() {
            s.chunksDeferred = "snapshot \(busy) is being created; unreferenced chunks are left for a later prune"
            log(s.chunksDeferred!)
            return s
        }
        let now = Date().timeIntervalSince1970
        // Only the unreferenced objects are kept from the walk (anything under chunks/ that names
        // no kept chunk is one), in key order as before.
        var candidates: [ObjectInfo] = []
        try await store.forEachObject(prefix: SnapshotLayout.chunkPrefix) { o in
            let kept = ChunkName(storeKey: o.key).map { referenced.contains($0) } ?? false
            if !kept && (o.lastModified.map { now - $0 > grace } ?? true) { candidates.append(o) }
        }
        candidates.sort { $0.key < $1.key }
        // Announce the deletion, then check again (`PruneRecord`): a create that starts from here
        // on sees the record and waits; one that started before left its lock for this check.
        let recordKey = PruneRecord.key(SnapshotID.next(after: nil, compactUTC: SnapshotCreator.compactNow(),
                                                        random: UInt32.random(in: 0...UInt32.max)))
        var recordWritten = Date().timeIntervalSince1970
        if !dryRun && !candidates.isEmpty {
            try await writeRecord(recordKey, chunks: candidates.map(\.key))
            await afterRecord?()
        }
        if let busy = try await activeLock() {
            if !dryRun && !candidates.isEmpty { try? await store.delete(recordKey) }
            s.chunksDeferred = "snapshot \(busy) is being created; unreferenced chunks are left for a later prune"
            log(s.chunksDeferred!)
            return s
        }
        if !dryRun && !candidates.isEmpty { await beforeDeleting?() }
        for o in candidates {
            if !dryRun {
                try await store.delete(o.key)
                // Keep the record fresh, so creates never take a long prune's record for a stale one.
                if Date().timeIntervalSince1970 - recordWritten > PruneRecord.staleAge / 6 {
                    try await writeRecord(recordKey, chunks: candidates.map(\.key))
                    recordWritten = Date().timeIntervalSince1970
                }
            }
            s.removedChunks += 1
            s.removedBytes += o.size
        }
        if !dryRun && !candidates.isEmpty { try await store.delete(recordKey) }
        log((dryRun ? "would remove" : "removed") + " \(s.removedChunks) unreferenced chunks (\(ByteCount.format(s.removedBytes)))")
        return s
    }

    private func writeRecord(_ key: String, chunks: [String]) async throws {
        let body = PruneRecord.Body(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier,
                                    started: SnapshotCreator.rfc3339Now(), chunks: chunks)
        try await store.put(key, bytes: Array(try JSONEncoder().encode(body)))
        try await store.flush()
    }

    /// The id of a create in progress (a lock younger than `staleLockAge`), if any.
    private func activeLock() async throws -> String? {
        let now = Date().timeIntervalSince1970
        for l in try await store.list(prefix: SnapshotLayout.lockPrefix) where !PruneRecord.isRecord(l.key) {
            if let t = l.lastModified, now - t > staleLockAge { continue }
            return String(l.key.dropFirst(SnapshotLayout.lockPrefix.count).dropLast(".json".count))
        }
        return nil
    }
}
