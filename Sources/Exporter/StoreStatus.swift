import ChainData
import Foundation
import Snapshots
import SnapshotCore
import Stores

/// What a look at one store found: its newest snapshot that reads, and each RLP bundle's end.
public struct StoreStatus: Sendable, Equatable {
    /// The newest snapshot whose manifest loads and passes its checks.
    public struct Snapshot: Sendable, Equatable {
        public var id: String
        public var network: String?
        /// Unix seconds of the manifest's `createdAt`.
        public var created: Double
        public var height: UInt64?
        public var bytes: Int64
        public var storedBytes: Int64

        public init(id: String, network: String?, created: Double, height: UInt64?, bytes: Int64, storedBytes: Int64) {
            self.id = id
            self.network = network
            self.created = created
            self.height = height
            self.bytes = bytes
            self.storedBytes = storedBytes
        }
    }

    /// One bundle's newest part.
    public struct Bundle: Sendable, Equatable {
        public var network: String
        public var up: Bool
        public var parts: Int
        public var lastBlock: UInt64
        /// Unix seconds of the last block's timestamp.
        public var lastBlockTime: Double
        /// Unix seconds of the manifest's `updatedAt` (when the last part was published).
        public var updated: Double?

        public init(network: String, up: Bool, parts: Int, lastBlock: UInt64, lastBlockTime: Double, updated: Double?) {
            self.network = network
            self.up = up
            self.parts = parts
            self.lastBlock = lastBlock
            self.lastBlockTime = lastBlockTime
            self.updated = updated
        }
    }

    /// The store as its metrics label shows it (no credentials, no query string secrets).
    public var store: String
    public var up: Bool
    /// The first line of what went wrong (nil when up).
    public var error: String?
    public var snapshots: Int = 0
    /// Snapshots newer than `newest` whose manifest did not load.
    public var unreadableNewer: Int = 0
    public var newest: Snapshot?
    public var bundles: [Bundle] = []
    /// Unix seconds the look finished, and how long it took.
    public var refreshed: Double = 0
    public var seconds: Double = 0

    public init(store: String, up: Bool, error: String? = nil) {
        self.store = store
        self.up = up
        self.error = error
    }

    /// How many manifests, newest first, a look tries before it gives up finding a readable one.
    public static let manifestsTried = 5

    /// Looks at `store`: lists snapshots, loads the newest readable manifest, loads every bundle manifest.
    public static func look(_ store: any ObjectStore, label: String) async -> StoreStatus {
        var s = StoreStatus(store: label, up: true)
        do {
            let catalog = SnapshotCatalog(store: store)
            let ids = try await catalog.ids()
            s.snapshots = ids.count
            for id in ids.reversed().prefix(manifestsTried) {
                // The totals and the source are what it reports; the entries are checked, not kept, so
                // a look at a million-file snapshot costs what one at ten files does.
                guard let m = try? await catalog.load(id, entries: .checkOnly) else { s.unreadableNewer += 1; continue }
                s.newest = Snapshot(id: m.id, network: m.source.network, created: parseTime(m.createdAt) ?? 0,
                                    height: m.source.height, bytes: m.totals.bytes, storedBytes: m.totals.storedBytes)
                break
            }
            let names: [String]
            do { names = try await BundleCatalog.networks(in: store) } catch let e as ChainsnapError where e.code == .notFound { names = [] }
            for n in names.sorted() {
                if let b = try? await BundleCatalog.load(n, from: store), let last = b.lastPart {
                    s.bundles.append(Bundle(network: n, up: true, parts: b.parts.count, lastBlock: last.lastNumber,
                                            lastBlockTime: Double(last.lastTimestamp), updated: parseTime(b.updatedAt)))
                } else {
                    s.bundles.append(Bundle(network: n, up: false, parts: 0, lastBlock: 0, lastBlockTime: 0, updated: nil))
                }
            }
        } catch {
            s = StoreStatus(store: label, up: false, error: firstLine(error))
        }
        return s
    }

    /// RFC 3339 UTC (`2026-11-23T23:28:19Z`, fractions allowed) → Unix seconds.
    public static func parseTime(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)?.timeIntervalSince1970
    }
}

func firstLine(_ e: any Error) -> String {
    "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
}
