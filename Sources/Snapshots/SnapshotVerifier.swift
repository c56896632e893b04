import RestoreCore
import Synchronization
import Codecs
import SnapshotCore
import Stores

/// The result of verifying one snapshot.
public struct SnapshotCheck: Sendable, Codable {
    public var id: String
    public var ok: Bool
    public var chunks: Int
    public var missing: [String] = []
    /// Chunks whose stored size differs from the manifest's.
    public var wrongSize: [String] = []
    /// Chunks that failed to decompress or hash to their id (`--deep` only).
    public var corrupt: [String] = []
    /// The manifest itself could not be read or validated.
    public var manifestError: String?
}

/// `snapshot verify`: every referenced chunk exists with the right size; with `deep`, every
/// chunk is downloaded, decompressed and hashed.
public struct SnapshotVerifier: Sendable {
    public let store: any ObjectStore
    public var deep: Bool
    public var parallel: Int
    public var quiet: Bool
    /// When set, each manifest must carry a valid signature by one of these keys.
    public var trustedKeys: TrustedKeys?

    public init(store: any ObjectStore, deep: Bool, parallel: Int = 8, quiet: Bool = false, trustedKeys: TrustedKeys? = nil) {
        self.trustedKeys = trustedKeys
        self.store = store
        self.deep = deep
        self.parallel = parallel
        self.quiet = quiet
    }

    public func verify(ids: [String]) async throws -> [SnapshotCheck] {
        let catalog = SnapshotCatalog(store: store)
        // Keyed by compact chunk names, not key strings, and filled as the store is walked: at
        // 500,000 chunks neither the key strings nor the whole listing are held.
        var present: [ChunkName: Int64] = [:]
        try await store.forEachObject(prefix: SnapshotLayout.chunkPrefix) { o in
            if let name = ChunkName(storeKey: o.key) { present[name] = o.size }
        }
        var deepChecked: [ChunkName: Bool] = [:]  // chunk -> ok, shared across snapshots
        var out: [SnapshotCheck] = []
        for id in ids {
            let m: Manifest
            do {
                m = try await loadChecked(id, catalog: catalog)
            } catch {
                out.append(SnapshotCheck(id: id, ok: false, chunks: 0, manifestError: "\(error)"))
                continue
            }
            var check = SnapshotCheck(id: id, ok: true, chunks: m.chunks.count)
            var toHash: [Int] = []  // indexes into m.chunks
            for (i, c) in m.chunks.enumerated() {
                guard let name = ChunkName(c), let size = present[name] else { check.missing.append(c.id); continue }
                if size != c.stored { check.wrongSize.append(c.id); continue }
                if deep {
                    if let ok = deepChecked[name] { if !ok { check.corrupt.append(c.id) } } else { toHash.append(i) }
                }
            }
            if deep && !toHash.isEmpty {
                let bad = try await hashAll(m.chunks, toHash, label: "verify \(id)")
                for i in toHash {
                    let c = m.chunks[i]
                    let ok = !bad.contains(c.id)
                    if let name = ChunkName(c) { deepChecked[name] = ok }
                    if !ok { check.corrupt.append(c.id) }
                }
            }
            check.ok = check.missing.isEmpty && check.wrongSize.isEmpty && check.corrupt.isEmpty
            out.append(check)
        }
        return out
    }

    /// The entries need more than one pass: out of path order, or listed before the chunk table.
    private struct NeedsFullRead: Error {}

    /// Loads and validates manifest `id`, checking each entry as it is read and keeping none (only
    /// the chunk table is needed here): memory does not grow with the file count. A manifest whose
    /// entries are out of order or come before its chunk table is read again whole and validated so.
    private func loadChecked(_ id: String, catalog: SnapshotCatalog) async throws -> Manifest {
        var checker: ManifestValidator.Checker?
        do {
            let m = try await catalog.load(id, trustedKeys: trustedKeys, entries: .each { e, chunks in
                if checker == nil {
                    guard let chunks else { throw NeedsFullRead() }
                    checker = try ManifestValidator.Checker(id: id, chunks: chunks)
                }
                if checker!.needsEarlierPaths(e) { throw NeedsFullRead() }
                try checker!.check(e)
                return false
            })
            if checker == nil { _ = try ManifestValidator.Checker(m) }  // no entries: the chunk table still is checked
            return m
        } catch is NeedsFullRead {
            let m = try await catalog.load(id, trustedKeys: trustedKeys)
            try ManifestValidator.validate(m)
            return m
        }
    }

    /// Downloads, decompresses and hashes `all[i]` for each `i` in `indexes`; returns the ids that failed.
    private func hashAll(_ all: [ChunkInfo], _ indexes: [Int], label: String) async throws -> Set<String> {
        let bad = Locked<Set<String>>([])
        let progress = ProgressReporter(label: label, total: indexes.reduce(0) { $0 + all[$1].size }, quiet: quiet)
        progress.start()
        defer { progress.finish() }
        let pool = ContextPool(level: 3)
        let check: @Sendable (ChunkInfo, [UInt8]) -> Void = { c, stored in
            if (try? ChunkDecoder.decode(c, stored: stored, contexts: pool)) == nil { bad.withLock { _ = $0.insert(c.id) } }
            progress.add(c.size)
        }
        if let bulk = store as? any BulkFetching {
            // Each store key built once, shared by the map and the requests.
            let keys = indexes.map { all[$0].key }
            let byKey = Dictionary(zip(keys, indexes), uniquingKeysWith: { a, _ in a })
            try await bulk.fetchAll(zip(keys, indexes).map { FetchRequest(key: $0, expectedSize: all[$1].stored) }) { req, bytes in
                check(all[byKey[req.key]!], bytes)
            }
        } else {
            try await forEachBounded(indexes.count, limit: parallel) { n in
                let c = all[indexes[n]]
                do { check(c, try await store.get(c.key)) } catch let e as ChainsnapError where e.code == .notFound {
                    bad.withLock { _ = $0.insert(c.id) }
                }
            }
        }
        return bad.withLock { $0 }
    }
}
