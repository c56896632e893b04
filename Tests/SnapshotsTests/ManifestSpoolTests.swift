import Foundation
import Testing
import LocalFS
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// A manifest over `spoolAbove` is copied to an unlinked temporary file in ranges and decoded from
/// there (its compressed bytes are 21 MB at a million files). It must read exactly as the
/// one-request read does, leave no file behind, fall back when no temporary file can be written,
/// and say so clearly when the object changes while it is read.
@Suite("a large manifest is read through a temporary file", .serialized)
struct ManifestSpoolTests {
    static func created() async throws -> (Fixture, CreateSummary) {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 1 << 20, seed: 3)
        let s = try await f.create(chunkSize: 64 << 10)
        return (f, s)
    }

    static func manifestSize(_ f: Fixture, _ id: String) throws -> Int64 {
        Int64(try FileManager.default.attributesOfItem(atPath: f.storeRoot + "/" + SnapshotLayout.manifestKey(id))[.size] as! Int)
    }

    @Test("read in ranges of 100 bytes: the same manifest as one request, for every entries mode; no file left behind")
    func sameAsOneRequest() async throws {
        let (f, s) = try await Self.created()
        let size = try Self.manifestSize(f, s.id)
        try #require(size > 300, "a manifest of \(size) bytes crosses several ranges")
        let whole = try await SnapshotCatalog(store: f.store).load(s.id)
        let spoolDir = f.tmp.sub("spool")
        try FileManager.default.createDirectory(atPath: spoolDir, withIntermediateDirectories: true)
        var c = SnapshotCatalog(store: f.store)
        c.spoolAbove = 0
        c.spoolRange = 100
        c.spoolDirectory = spoolDir
        let spool = try #require(try await c.spooled(s.id), "the manifest is spooled")
        let spooledBytes = try spool.file.size()
        #expect(spool.size == size && spooledBytes == size)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDir) == [], "the temporary file has no name")
        #expect(try await c.load(s.id) == whole)
        let skipped = try await c.load(s.id, entries: .skip)
        #expect(skipped.chunks == whole.chunks && skipped.totals == whole.totals && skipped.entries.count == 0)
        let checked = try await c.load(s.id, entries: .checkOnly)
        #expect(checked.chunks == whole.chunks && checked.entries.count == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDir) == [])
    }

    @Test("a temporary folder that cannot be written: read in one request, as before")
    func fallsBackWithoutATemporaryFolder() async throws {
        let (f, s) = try await Self.created()
        var c = SnapshotCatalog(store: f.store)
        c.spoolAbove = 0
        c.spoolDirectory = f.tmp.sub("no-such-folder")
        #expect(try await c.spooled(s.id) == nil)
        #expect(try await c.load(s.id) == (try await SnapshotCatalog(store: f.store).load(s.id)))
    }

    @Test("a missing snapshot is still named, with the ones the store has")
    func missingSnapshot() async throws {
        let (f, s) = try await Self.created()
        var c = SnapshotCatalog(store: f.store)
        c.spoolAbove = 0
        let e = await #expect(throws: ChainsnapError.self) { try await c.load("20200101T000000Z-00000000") }
        #expect(e?.code == .notFound && e?.message.contains(s.id) == true, "\(String(describing: e))")
    }

    @Test("a manifest cut short while it is read is an error that says what happened, not a parse error")
    func changedWhileRead() async throws {
        let (f, s) = try await Self.created()
        let path = f.storeRoot + "/" + SnapshotLayout.manifestKey(s.id)
        var c = SnapshotCatalog(store: ShrinkAfterHead(inner: f.store, path: path))
        c.spoolAbove = 0
        c.spoolRange = 100
        let e = await #expect(throws: ChainsnapError.self) { try await c.load(s.id) }
        #expect(e?.code == .corrupt && e?.message.contains("bytes 0-99") == true, "\(String(describing: e))")
        #expect(e?.hint?.contains("changed while it was read") == true)
    }

    @Test("over HTTP (nginx), in ranges of 100 bytes", .requires(tools: ["nginx", "openssl"]))
    func throughNginx() async throws {
        let (f, s) = try await Self.created()
        let nginx = try NginxServer(root: f.storeRoot, workDir: f.tmp.sub("nginx"))
        defer { nginx.stop() }
        var c = SnapshotCatalog(store: HTTPStore(baseURL: nginx.plainURL))
        c.spoolAbove = 0
        c.spoolRange = 100
        #expect(try await c.spooled(s.id) != nil)
        #expect(try await c.load(s.id) == (try await SnapshotCatalog(store: f.store).load(s.id)))
    }
}

/// A real file store whose manifest is cut to 50 bytes just after its size is asked: what a reader
/// sees when the object is replaced while it reads.
struct ShrinkAfterHead: ObjectStore {
    let inner: FileStore
    let path: String
    var displayURL: String { inner.displayURL }
    var isWritable: Bool { inner.isWritable }
    func get(_ key: String) async throws -> [UInt8] { try await inner.get(key) }
    func get(_ key: String, range: Range<Int64>) async throws -> [UInt8] { try await inner.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? {
        let info = try await inner.head(key)
        if FileManager.default.fileExists(atPath: path) { #expect(truncate(path, 50) == 0) }
        return info
    }
    func put(_ key: String, bytes: [UInt8]) async throws { try await inner.put(key, bytes: bytes) }
    func list(prefix: String) async throws -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
}
