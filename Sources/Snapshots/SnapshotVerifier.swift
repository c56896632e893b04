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
    /// Chunks a `--deep` batch asks for at once (small in tests, to cross batch boundaries).
    var batchSize = 4096

    public init(store: any ObjectStore, deep: Bool, parallel: Int = 8, quiet: Bool = false, trustedKeys: TrustedKeys? = nil) {
        self.trustedKeys = trustedKeys
        self.store = store
        self.deep = deep
        self.parallel = parallel
        self.quiet = quiet
    }

    public func verify(ids: [String]) async throws -> [SnapshotCheck] {
        let catalog = SnapshotCatalog(store: store)
        let present = try await PresentChunks(store)
        // What `--deep` found of each present chunk, shared across snapshots: 0 not yet hashed, 1 ok, 2 bad.
        var deepState = [UInt8](repeating: 0, count: deep ? present.count : 0)
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
            var toHash: [(chunk: Int, present: Int)] = []
            for (i, c) in m.chunks.enumerated() {
                guard let p = ChunkName(c).flatMap({ present.index(of: $0) }) else { check.missing.append(c.id); continue }
                if present.size(at: p) != c.stored { check.wrongSize.append(c.id); continue }
                if deep {
                    switch deepState[p] {
                    case 0: deepState[p] = 3; toHash.append((i, p))  // 3: queued, so a repeated id is hashed once
                    case 2: check.corrupt.append(c.id)
                    default: break
                    }
                }
            }
            if deep && !toHash.isEmpty {
                let bad = try await hashAll(m.chunks, toHash.map(\.chunk), label: "verify \(id)")
                for (i, p) in toHash {
                    let ok = !bad.contains(i)
                    deepState[p] = ok ? 1 : 2
                    if !ok { check.corrupt.append(m.chunks[i].id) }
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

    /// Downloads, decompresses and hashes `all[i]` for each `i` in `indexes`; returns the indexes
    /// that failed. A bulk store is asked in batches (`BulkFetching.fetchAll(_:batchSize:…)`), so
    /// what is held for requests does not grow with the chunk count.
    private func hashAll(_ all: [ChunkInfo], _ indexes: [Int], label: String) async throws -> Set<Int> {
        let bad = Locked<Set<Int>>([])
        let progress = ProgressReporter(label: label, total: indexes.reduce(0) { $0 + all[$1].size }, quiet: quiet)
        progress.start()
        defer { progress.finish() }
        let pool = ContextPool(level: 3)
        let check: @Sendable (Int, [UInt8]) -> Void = { i, stored in
            if (try? ChunkDecoder.decode(all[i], stored: stored, contexts: pool)) == nil { bad.withLock { _ = $0.insert(i) } }
            progress.add(all[i].size)
        }
        if let bulk = store as? any BulkFetching {
            try await bulk.fetchAll(indexes, batchSize: batchSize, request: { FetchRequest(key: all[$0].key, expectedSize: all[$0].stored) },
                                    consume: check)
        } else {
            try await forEachBounded(indexes.count, limit: parallel) { n in
                let i = indexes[n]
                do { check(i, try await store.get(all[i].key)) } catch let e as ChainsnapError where e.code == .notFound {
                    bad.withLock { _ = $0.insert(i) }
                }
            }
        }
        return bad.withLock { $0 }
    }
}

/// The chunk objects in the store with their sizes, as one sorted array of compact names
/// (48 bytes a chunk, where a dictionary took about twice that): filled as the store is walked,
/// so neither the key strings nor the whole listing are held.
struct PresentChunks {
    private var found: [(name: ChunkName, size: Int64)] = []

    init(_ store: any ObjectStore) async throws {
        try await store.forEachObject(prefix: SnapshotLayout.chunkPrefix) { o in
            if let name = ChunkName(storeKey: o.key) { found.append((name, o.size)) }
        }
        found.sort { $0.name < $1.name }
    }

    var count: Int { found.count }

    /// Where `name` is, by binary search.
    func index(of name: ChunkName) -> Int? {
        let k = found.partitionPoint { $0.name < name }
        return k < found.count && found[k].name == name ? k : nil
    }

    func size(at i: Int) -> Int64 { found[i].size }
}
