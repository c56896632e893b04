import Foundation
import Codecs
import LocalFS
import SnapshotCore
import Stores

/// Store layout of volume snapshots (see docs/FORMAT.md):
///
///     chunks/ab/ab12….zst      one chunk, a standard zstd (or .lz4) frame, named by SHA-256 of its raw bytes
///     snapshots/<id>.json.zst  one manifest per snapshot; written last
///     locks/<id>.json          present while `snapshot create` of <id> runs (prune keeps chunks then)
public enum SnapshotLayout {
    public static func manifestKey(_ id: String) -> String { "snapshots/\(id).json.zst" }
    /// A small text object holding the newest snapshot's id, so a store that cannot be listed
    /// (a CDN or static mirror without a JSON folder index) still serves `latest`.
    public static let latestKey = "snapshots/latest"
    /// The pointer holds one id; anything longer is not a pointer.
    public static let latestMaxBytes: Int64 = 256
    public static func lockKey(_ id: String) -> String { "locks/\(id).json" }
    public static let manifestPrefix = "snapshots/"
    public static let lockPrefix = "locks/"
    public static let chunkPrefix = "chunks/"

    /// Encodes a manifest as zstd-compressed JSON, written and compressed a block at a time
    /// (`ManifestWriter`): the JSON is never held whole. A first pass only counts its bytes, so
    /// the frame declares its content size as before.
    public static func encode(_ m: Manifest) throws -> [UInt8] {
        var size = 0
        try ManifestWriter.write(m) { size += $0.count }
        let z = ZstdStreamCompressor(level: manifestLevel, contentSize: size)
        try ManifestWriter.write(m) { block in try block.withUnsafeBytes { try z.write($0) } }
        return try z.finish()
    }

    /// The zstd level of manifests. Level 3, not 9: at 100,000 files level 9 took 0.4 s of a
    /// 2 s `create`, all of it after the last chunk, for a manifest 15% smaller (2.09 against
    /// 2.46 MB, 1% of the snapshot's bytes); decoding is as fast either way (issue 13).
    static let manifestLevel = 3

    /// The detached signature of a snapshot's manifest (docs/FORMAT.md, "Signatures").
    public static func signatureKey(_ id: String) -> String { manifestKey(id) + ".sig" }

    /// The largest manifest (decompressed JSON) read: about 5 million entries. A frame declaring more is
    /// refused before anything is allocated; one that does not declare its size is decoded as a stream
    /// that stops at this bound (`BoundedDecode`).
    public static let maxManifestBytes = 1 << 30

    /// Decodes and version-checks a manifest, decompressing and parsing it a block at a time
    /// (`ManifestReader`): the decompressed JSON is never held whole.
    /// `entries` says which entries are kept (`ManifestReader.Entries`).
    public static func decode(_ bytes: [UInt8], id: String, entries: ManifestReader.Entries = .keep) throws -> Manifest {
        try read(id: id, entries: entries) { try ZstdBlockReader(bytes, limit: maxManifestBytes, what: "the manifest") }
    }

    /// Decodes and version-checks a manifest spooled to `file` (its first `size` bytes), reading it
    /// a block at a time: neither the compressed nor the decompressed text is held whole.
    static func decode(file: RawFile, size: Int64, id: String, entries: ManifestReader.Entries = .keep) throws -> Manifest {
        try read(id: id, entries: entries) {
            var at: Int64 = 0
            return try ZstdBlockReader(pulling: {
                guard at < size else { return nil }
                let block = try file.read(count: Int(min(spoolBlock, size - at)), at: at)
                guard !block.isEmpty else { return nil }
                at += Int64(block.count)
                return block
            }, limit: maxManifestBytes, what: "the manifest")
        }
    }

    /// Bytes of a spooled manifest read at a time.
    static let spoolBlock: Int64 = 1 << 20

    /// Decodes and version-checks a manifest's decompressed JSON.
    static func decodeJSON(_ raw: [UInt8], id: String) throws -> Manifest {
        try read(id: id) { WholeText(raw) }
    }

    /// A text given whole, as one block.
    final class WholeText {
        var text: [UInt8]?
        init(_ text: [UInt8]) { self.text = text }
        func next() -> [UInt8]? { defer { text = nil }; return text }
    }

    /// Parses the blocks a fresh `open()` yields; when that fails, reads the head again so a newer
    /// or foreign format gets a clear message rather than a parse error.
    private static func read(id: String, entries: ManifestReader.Entries = .keep, _ open: () throws -> any BlockSource) throws -> Manifest {
        let m: Manifest
        do {
            let source = try open()
            m = try ManifestReader.read(next: { try source.next() }, entries: entries)
        } catch let visited as ManifestReader.Visited {
            throw visited.underlying
        } catch let failure as ManifestReader.Failure {
            if let source = try? open(), let head = try? ManifestReader.head(next: { try source.next() }) {
                if let f = head.format, f != Manifest.formatName {
                    throw ChainsnapError(.unsupportedFormat, "'\(manifestKey(id))' is not a chainsnap snapshot manifest (format '\(f)')")
                }
                if let v = head.version, v > Manifest.currentVersion {
                    throw ChainsnapError(.unsupportedFormat,
                                         "snapshot \(id) uses manifest version \(v); this chainsnap reads up to \(Manifest.currentVersion)",
                                         hint: "upgrade chainsnap to restore this snapshot")
                }
            }
            throw ChainsnapError(.corrupt, "manifest of snapshot \(id) cannot be read: \(failure.message)",
                                 object: manifestKey(id), hint: "the manifest is corrupt or was written by something else; restore another snapshot")
        } catch {
            throw ChainsnapError(.corrupt, "manifest of snapshot \(id) is corrupt", object: manifestKey(id),
                                 hint: "restore another snapshot (chainsnap snapshot list) or re-create this one", underlying: error)
        }
        try m.checkVersion()
        return m
    }
}

/// Something that yields a text block by block (nil at its end).
protocol BlockSource { func next() throws -> [UInt8]? }
extension ZstdBlockReader: BlockSource {}
extension SnapshotLayout.WholeText: BlockSource {}

/// Lists and loads the snapshots in a store.
public struct SnapshotCatalog: Sendable {
    public let store: any ObjectStore

    /// A manifest larger than this is copied into an unlinked temporary file (`$TMPDIR`), in
    /// requests of `spoolRange` bytes, and decoded from there, so its compressed bytes (about
    /// 21 MB at a million files) are not held either. A smaller one is read in one request, and so
    /// is any manifest when no temporary file can be written (a read-only root) or when a
    /// signature is checked (over the whole bytes, before they are parsed).
    var spoolAbove: Int64 = 4 << 20
    var spoolRange: Int64 = 4 << 20
    /// Where the temporary file goes (nil: `$TMPDIR`, else `/tmp`).
    var spoolDirectory: String? = nil

    public init(store: any ObjectStore) { self.store = store }

    /// Snapshot ids in the store, oldest first (ids sort by creation time).
    public func ids() async throws -> [String] {
        try await store.list(prefix: SnapshotLayout.manifestPrefix).compactMap { info -> String? in
            let name = info.key.dropFirst(SnapshotLayout.manifestPrefix.count)
            guard name.hasSuffix(".json.zst") else { return nil }
            let id = String(name.dropLast(".json.zst".count))
            return SnapshotID.isValid(id) ? id : nil
        }.sorted()
    }

    /// Loads a manifest. With `trustedKeys`, its stored bytes must carry a valid signature by one
    /// of them (checked before the bytes are decompressed or parsed), and it must be the snapshot asked for.
    /// `entries` says which entries are kept (`ManifestReader.Entries`; `.skip` reads only the chunk
    /// table and the rest). An error thrown by an `.each` closure comes out unchanged.
    public func load(_ id: String, trustedKeys: TrustedKeys? = nil, entries: ManifestReader.Entries = .keep) async throws -> Manifest {
        if trustedKeys == nil, let spool = try await spooled(id) {
            return try SnapshotLayout.decode(file: spool.file, size: spool.size, id: id, entries: entries)
        }
        let bytes: [UInt8]
        do { bytes = try await store.get(SnapshotLayout.manifestKey(id)) } catch let e as ChainsnapError where e.code == .notFound {
            throw await missing(id)
        }
        guard let trustedKeys else { return try SnapshotLayout.decode(bytes, id: id, entries: entries) }
        let sigKey = SnapshotLayout.signatureKey(id)
        let what = "snapshot \(id)'s manifest"
        let keyID = try trustedKeys.verify(bytes, signature: try await store.getIfPresent(sigKey),
                                           signatureKey: store.displayURL(for: sigKey), what: what)
        let m = try SnapshotLayout.decode(bytes, id: id, entries: entries)
        try trustedKeys.checkClaim(m.signing, signedBy: keyID, what: what)
        guard m.id == id else {
            throw ChainsnapError(.untrusted, "the manifest stored as snapshot \(id) is signed but describes snapshot \(m.id)",
                                 object: SnapshotLayout.manifestKey(id), hint: "a signed manifest was copied under another name; do not restore it")
        }
        return m
    }

    /// The error for a snapshot the store does not have, naming the ones it has.
    func missing(_ id: String) async -> ChainsnapError {
        ChainsnapError(.notFound, "snapshot \(id) does not exist in \(store.displayURL); \(await available())", object: id,
                       hint: "pass one of those ids to --snapshot, or 'latest'")
    }

    /// Snapshot `id`'s manifest copied into an unlinked temporary file, when it is larger than
    /// `spoolAbove` and such a file can be written; nil when it should be read in one request.
    func spooled(_ id: String) async throws -> (file: RawFile, size: Int64)? {
        let key = SnapshotLayout.manifestKey(id)
        // A store that cannot say (or says it has no such object) is read in one request, which
        // reports what is wrong as it always did.
        guard let info = try? await store.head(key), info.size > spoolAbove,
              let file = try? RawFile.unlinkedTemporary(in: spoolDirectory) else { return nil }
        var at: Int64 = 0
        while at < info.size {
            let end = min(info.size, at + max(1, spoolRange))
            let bytes = try await store.get(key, range: at..<end)
            guard bytes.count == Int(end - at) else {
                throw ChainsnapError(.corrupt, "\(store.displayURL(for: key)) gave \(bytes.count) bytes for bytes \(at)-\(end - 1) of its \(info.size)",
                                     object: key, hint: "the manifest changed while it was read, or the server answers Range requests wrongly; run the command again")
            }
            // A temporary folder that fills up: read the manifest in one request instead.
            do { try file.write(bytes, at: at) } catch { return nil }
            at = end
        }
        return (file, info.size)
    }

    /// What the store has, for an error message: the newest ids, or why they cannot be listed.
    func available() async -> String {
        do {
            let all = try await ids()
            if all.isEmpty {
                let p = try? await latestPointer()
                return p.map { "it lists no snapshots; its latest pointer names \($0)" } ?? "it has no snapshots"
            }
            let shown = all.suffix(10).reversed().joined(separator: ", ")
            return "it has \(all.count) snapshot\(all.count == 1 ? "" : "s")\(all.count > 10 ? ", newest 10" : ""): \(shown)"
        } catch {
            let p = try? await latestPointer()
            return "it cannot be listed\(p.map { "; its latest pointer names \($0)" } ?? " and has no latest pointer")"
        }
    }

    /// The id in `snapshots/latest`, nil when there is none. A pointer that is not one id is `.corrupt`.
    public func latestPointer() async throws -> String? {
        let bytes: [UInt8]
        do {
            guard try await store.head(SnapshotLayout.latestKey) != nil else { return nil }
            bytes = try await store.get(SnapshotLayout.latestKey, range: 0..<SnapshotLayout.latestMaxBytes)
        } catch let e as ChainsnapError where e.code == .notFound {
            return nil
        }
        let id = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard SnapshotID.isValid(id) else {
            throw ChainsnapError(.corrupt, "\(store.displayURL)/\(SnapshotLayout.latestKey) does not hold a snapshot id",
                                 object: SnapshotLayout.latestKey, hint: "rewrite it with the newest id (chainsnap snapshot create writes it), or pass --snapshot ID")
        }
        return id
    }

    /// Resolves `latest` (or nil) to the newest snapshot id; checks an explicit id exists.
    public func resolve(_ selector: String?) async throws -> String {
        if let s = selector, s != "latest" {
            guard SnapshotID.isValid(s) else {
                throw ChainsnapError(.invalidArgument, "'\(s)' is not a snapshot id",
                                     hint: "ids look like 20261123T232819Z-1a2b3c4d; use 'latest' or see 'chainsnap snapshot list'")
            }
            return s
        }
        // Listing first; a store that cannot be listed (an HTTP mirror without a JSON index
        // answers 403, 404 or HTML) falls back to the `latest` pointer.
        var listFailure: ChainsnapError?
        do {
            if let last = try await ids().last { return last }
        } catch let e as ChainsnapError where [.unsupportedFormat, .http, .auth].contains(e.code) {
            listFailure = e
        }
        if let id = try await latestPointer() { return id }
        if let listFailure {
            throw ChainsnapError(.notFound, "cannot find the latest snapshot in \(store.displayURL): the store cannot be listed (\(listFailure.message)) and has no \(SnapshotLayout.latestKey) pointer",
                                 hint: "pass --snapshot ID, or have the publisher upload \(SnapshotLayout.latestKey) (chainsnap snapshot create writes it) or serve a JSON folder index")
        }
        throw ChainsnapError(.notFound, "no snapshots in \(store.displayURL): nothing under snapshots/ and no \(SnapshotLayout.latestKey) pointer",
                             hint: store.isWritable ? "check the store URL, or create one with 'chainsnap snapshot create DIR --to \(store.displayURL)'"
                                                    : "check the store URL (a read-only mirror needs the publisher's snapshots there)")
    }
}
