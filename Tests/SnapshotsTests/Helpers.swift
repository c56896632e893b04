import Foundation
import Testing
import Codecs
import LocalFS
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// A store, a source tree and a restore target in one temp folder.
struct Fixture {
    let tmp = TempDir("snap")
    var src: String { tmp.sub("src") }
    var storeRoot: String { tmp.sub("store") }
    var store: FileStore { FileStore(root: storeRoot) }

    func create(_ dir: String? = nil, codec: ChunkCodec = .zstd, chunkSize: Int64 = 1 << 20) async throws -> CreateSummary {
        var o = CreateOptions()
        o.codec = codec
        o.chunkSize = chunkSize
        o.quiet = true
        return try await SnapshotCreator(store: store, options: o).run(directory: dir ?? src)
    }

    func restore(_ target: String, snapshot: String? = nil, force: Bool = false, reuse: Bool = false) async throws -> RestoreSummary {
        var o = RestoreOptions()
        o.snapshot = snapshot
        o.force = force
        o.reuseExisting = reuse
        o.quiet = true
        return try await SnapshotRestorer(store: store, options: o, log: { _ in }).run(into: target)
    }

    func chunkFiles() throws -> [String] {
        let e = FileManager.default.enumerator(atPath: storeRoot + "/chunks")!
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".zst") || $0.hasSuffix(".lz4") }
            .map { storeRoot + "/chunks/" + $0 }
    }

    /// Rewrites a snapshot's manifest through `edit` under a new id; returns that id.
    func tamper(_ id: String, _ edit: (inout Manifest) -> Void) async throws -> String {
        var m = try await SnapshotCatalog(store: store).load(id)
        let newID = SnapshotID.make(compactUTC: "20990101T000000Z", random: UInt32.random(in: 0...UInt32.max))
        m.id = newID
        edit(&m)
        try await store.put(SnapshotLayout.manifestKey(newID), bytes: SnapshotLayout.encode(m))
        return newID
    }

    /// Rewrites the decompressed JSON of a snapshot's manifest through `edit` under a new id (for
    /// text no `Manifest` can hold); returns that id.
    func tamperJSON(_ id: String, _ edit: (String) -> String) async throws -> String {
        let newID = SnapshotID.make(compactUTC: "20990101T000000Z", random: UInt32.random(in: 0...UInt32.max))
        let path = storeRoot + "/" + SnapshotLayout.manifestKey(id)
        let stored = try FS.readFile(path)
        let raw = try ZstdDecompressor().decompress(stored, expectedSize: stored.withUnsafeBytes { ZstdDecompressor.frameContentSize($0)! })
        let json = edit(String(decoding: raw, as: UTF8.self).replacingOccurrences(of: id, with: newID))
        let bytes = try Array(json.utf8).withUnsafeBytes { try ZstdCompressor().compress($0) }
        try await store.put(SnapshotLayout.manifestKey(newID), bytes: bytes)
        return newID
    }

    /// A fixture whose tree is one file, `a.txt`, and the snapshot of it.
    static func oneFile() async throws -> (Fixture, CreateSummary) {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: f.src + "/a.txt"))
        return (f, try await f.create())
    }
}

/// Asserts `body` throws a ChainsnapError whose text contains `fragment`, and returns it.
@discardableResult
func expectFailure(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async -> ChainsnapError? {
    do {
        try await body()
        Issue.record("expected a failure mentioning '\(fragment)'", sourceLocation: sourceLocation)
        return nil
    } catch let e as ChainsnapError {
        #expect(e.description.contains(fragment), "error was: \(e.description)", sourceLocation: sourceLocation)
        return e
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
