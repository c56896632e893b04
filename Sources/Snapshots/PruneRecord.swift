import Foundation
import SnapshotCore
import Stores

/// The two-sided handshake between `snapshot prune` and `snapshot create` (docs/FORMAT.md,
/// "Prune and create"), after restic's lock protocol: each side first announces itself, then
/// looks for the other.
///
/// - prune writes `locks/prune-ID.json` (the record of a pending deletion, with the chunk keys
///   it is about to delete), then lists the create locks; if there is one it withdraws its
///   record and deletes no chunks. Otherwise it deletes the listed chunks and removes the record.
/// - create writes `locks/ID.json`, then lists prune records; while one is there (and fresh) it
///   waits, so it never decides "this chunk is in the store" about a chunk a prune is deleting.
///
/// Whichever announcement comes second, the side that made it sees the other's, so a create can
/// never reuse a chunk that prune deletes after it looked. This needs a store whose list shows
/// a completed put (file://, and S3 since its strong read-after-write consistency).
public enum PruneRecord {
    public static let prefix = SnapshotLayout.lockPrefix + "prune-"

    /// What a prune record holds.
    public struct Body: Codable, Sendable {
        public var host: String
        public var pid: Int32
        public var started: String
        /// The chunk keys this prune deletes (what a create must not count on).
        public var chunks: [String]
    }

    /// A prune record older than this (not refreshed) was left by a killed prune.
    public static let staleAge: Double = 3600

    public static func key(_ id: String) -> String { prefix + id + ".json" }

    /// Whether a lock key is a prune record rather than a create's lock.
    public static func isRecord(_ key: String) -> Bool { key.hasPrefix(prefix) }

    /// The keys of prune records present now, fresh ones only.
    public static func active(in store: any ObjectStore, now: Double = Date().timeIntervalSince1970) async throws -> [String] {
        try await store.list(prefix: prefix).filter { o in o.lastModified.map { now - $0 <= staleAge } ?? true }.map(\.key)
    }

    /// Called by create after its own lock is written: waits (up to `timeout` seconds) while a
    /// prune is deleting chunks, then returns; throws when the prune does not finish in time.
    public static func waitForPrunes(in store: any ObjectStore, timeout: Double, poll: Double = 1,
                                     log: (String) -> Void) async throws {
        let deadline = Date().timeIntervalSince1970 + timeout
        var told = false
        while let busy = try await active(in: store).first {
            if Date().timeIntervalSince1970 >= deadline {
                throw ChainsnapError(.io, "a 'snapshot prune' is deleting chunks in \(store.displayURL) (record \(busy)); no snapshot was written",
                                     object: busy, hint: "run the create again when the prune has finished; a record older than an hour is ignored as left by a killed prune")
            }
            if !told {
                log("waiting for a 'snapshot prune' to finish deleting chunks (\(busy)) before looking at what the store holds")
                told = true
            }
            try await Task.sleep(nanoseconds: UInt64(poll * 1e9))
        }
    }
}
