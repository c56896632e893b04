import Foundation
import LocalFS
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// Restore safety: bad data or a bad manifest fails clearly and leaves the target as it was.
@Suite struct SafetyTests {
    /// A fixture with one snapshot and a target holding an older, unrelated restore we must not lose.
    func prepared() async throws -> (Fixture, String, String, [String: String]) {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 2 << 20)
        let s = try await f.create(chunkSize: 256 << 10)
        let target = f.tmp.sub("target")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        return (f, s.id, target, try Trees.describe(target))
    }

    func biggestChunk(_ f: Fixture) throws -> String {
        try f.chunkFiles().max { (try? FS.readFile($0).count) ?? 0 < (try? FS.readFile($1).count) ?? 0 }!
    }

    @Test func corruptedChunkFailsAndLeavesTargetUntouched() async throws {
        let (f, _, target, before) = try await prepared()
        let victim = try biggestChunk(f)
        var bytes = try FS.readFile(victim)
        bytes[bytes.count / 2] ^= 0x55
        try FS.writeAtomically(victim, bytes: bytes)
        await expectFailure("chunk") { _ = try await f.restore(target) }
        #expect(try Trees.describe(target) == before)
        #expect(!FileManager.default.fileExists(atPath: target + "/.chainsnap-restore.json"))
    }

    @Test func truncatedChunkFailsClearly() async throws {
        let (f, _, target, before) = try await prepared()
        let victim = try biggestChunk(f)
        let bytes = try FS.readFile(victim)
        try FS.writeAtomically(victim, bytes: Array(bytes.prefix(bytes.count - 100)))
        let e = await expectFailure("truncated") { _ = try await f.restore(target) }
        #expect(e?.hint?.contains("verify") == true)
        #expect(try Trees.describe(target) == before)
    }

    @Test func missingChunkFailsClearly() async throws {
        let (f, _, target, before) = try await prepared()
        try FileManager.default.removeItem(atPath: try biggestChunk(f))
        await expectFailure("missing") { _ = try await f.restore(target) }
        #expect(try Trees.describe(target) == before)
    }

    @Test(arguments: ["../escape.txt", "/etc/evil", "db/../../x", "a//b"])
    func manifestPathEscapingTheTargetIsRefused(path: String) async throws {
        let (f, id, target, before) = try await prepared()
        let bad = try await f.tamper(id) { m in
            let i = m.entries.firstIndex { $0.type == .file && $0.size > 0 }!
            m.entries[i].path = path
        }
        await expectFailure("refusing path") { _ = try await f.restore(target, snapshot: bad) }
        #expect(try Trees.describe(target) == before)
        #expect(!FileManager.default.fileExists(atPath: f.tmp.path + "/escape.txt"))
    }

    @Test(arguments: ["../../outside", "/etc/passwd", "db/../../../x"])
    func escapingSymlinkIsRefused(linkTarget: String) async throws {
        let (f, id, target, before) = try await prepared()
        let bad = try await f.tamper(id) { m in
            m.entries.append(Entry(path: "zz-link", type: .symlink, mode: 0o777, mtimeNs: 0, target: linkTarget))
        }
        await expectFailure("refusing symlink") { _ = try await f.restore(target, snapshot: bad) }
        #expect(try Trees.describe(target) == before)
    }

    @Test func fileThroughASymlinkedFolderIsRefused() async throws {
        let (f, id, target, before) = try await prepared()
        let bad = try await f.tamper(id) { m in
            m.entries.append(Entry(path: "zlink", type: .symlink, mode: 0o777, mtimeNs: 0, target: "db"))
            m.entries.append(Entry(path: "zlink/evil", type: .file, mode: 0o644, mtimeNs: 0, size: 0, extents: []))
        }
        await expectFailure("not inside a folder") { _ = try await f.restore(target, snapshot: bad) }
        #expect(try Trees.describe(target) == before)
    }

    @Test func wrongSizesAreRefused() async throws {
        let (f, id, target, before) = try await prepared()
        let bad = try await f.tamper(id) { m in
            let i = m.entries.firstIndex { $0.type == .file && $0.size > 0 }!
            m.entries[i].size += 1
        }
        await expectFailure("extents cover") { _ = try await f.restore(target, snapshot: bad) }
        #expect(try Trees.describe(target) == before)
    }

    @Test func newerManifestVersionIsRefusedWithAnUpgradeHint() async throws {
        let (f, id, target, _) = try await prepared()
        let bad = try await f.tamper(id) { m in m.version = 99 }
        let e = await expectFailure("version 99") { _ = try await f.restore(target, snapshot: bad) }
        #expect(e?.hint?.contains("upgrade") == true)
    }

    @Test func nonEmptyTargetIsRefusedWithoutForce() async throws {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 200_000)
        _ = try await f.create()
        let target = f.tmp.sub("target")
        try FileManager.default.createDirectory(atPath: target + "/chain", withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: target + "/chain/data.ldb"))
        let before = try Trees.describe(target)
        let e = await expectFailure("not empty") { _ = try await f.restore(target) }
        #expect(e?.code == .targetNotEmpty)
        #expect(e?.description.contains("'chain'") == true, "the message names what it found")
        #expect(try Trees.describe(target) == before)
        // With --force the contents are replaced by the snapshot.
        _ = try await f.restore(target, force: true)
        #expect(try Trees.describe(target) == Trees.describe(f.src))
    }

    @Test(.requiresTmpfsMount)
    func insufficientSpaceIsRefusedBeforeWriting() async throws {
        // A 4 MiB tmpfs (the trait skips where mounting is not allowed).
        let f = Fixture()
        let small = f.tmp.sub("small")
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try Requirements.mountTmpfs(small, size: "4m")
        defer { Requirements.unmountTmpfs(small) }
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        try Data(Trees.compressibleBytes(16 << 20, seed: 5)).write(to: URL(fileURLWithPath: f.src + "/big"))
        _ = try await f.create()
        let e = await expectFailure("not enough free space") { _ = try await f.restore(small + "/data") }
        #expect(e?.hint?.contains("nothing was changed") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small + "/data").isEmpty)
    }

    @Test func verifyFindsDamageAndPruneKeepsReferencedChunks() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        var ids: [String] = []
        for round in 0..<4 {
            try Data(Trees.compressibleBytes(600_000, seed: UInt64(100 + round))).write(to: URL(fileURLWithPath: f.src + "/gen-\(round)"))
            try Data(Trees.compressibleBytes(600_000, seed: 7)).write(to: URL(fileURLWithPath: f.src + "/shared"))
            ids.append(try await f.create(chunkSize: 256 << 10).id)
            try FileManager.default.removeItem(atPath: f.src + "/gen-\(round)")
        }
        let checks = try await SnapshotVerifier(store: f.store, deep: true, quiet: true).verify(ids: ids)
        #expect(checks.allSatisfy { $0.ok })

        let before = Set(try f.chunkFiles())
        var p = SnapshotPruner(store: f.store, keepLast: 2, dryRun: false, grace: 0)
        let s = try await p.run(log: { _ in })
        #expect(s.removedSnapshots == Array(ids.prefix(2)))
        #expect(s.removedChunks > 0)
        let after = Set(try f.chunkFiles())
        #expect(after.count == before.count - s.removedChunks)
        // Every chunk of the kept snapshots is still there and they restore.
        let kept = try await SnapshotVerifier(store: f.store, deep: true, quiet: true).verify(ids: Array(ids.suffix(2)))
        #expect(kept.allSatisfy { $0.ok })
        _ = try await f.restore(f.tmp.sub("out"), snapshot: ids[2])

        // While a create holds a lock, prune removes manifests but no chunks.
        try await f.store.put(SnapshotLayout.lockKey("20990101T000000Z-00000001"), bytes: Array("{}".utf8))
        p.keepLast = 1
        let locked = try await p.run(log: { _ in })
        #expect(locked.chunksDeferred != nil)
        #expect(locked.removedChunks == 0)
        #expect(Set(try f.chunkFiles()) == after)

        // Damage: verify names the broken snapshot and the missing chunk.
        let last = try await SnapshotCatalog(store: f.store).load(ids[3])
        try FileManager.default.removeItem(atPath: f.storeRoot + "/" + last.chunks[0].key)
        let broken = try await SnapshotVerifier(store: f.store, deep: false, quiet: true).verify(ids: [ids[3]])
        #expect(!broken[0].ok)
        #expect(broken[0].missing == [last.chunks[0].id])
    }

    @Test("prune refuses, deleting nothing, when a kept snapshot names a chunk by no SHA-256 id")
    func pruneRefusesAChunkItCannotName() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        try Data(Trees.compressibleBytes(300_000, seed: 61)).write(to: URL(fileURLWithPath: f.src + "/a"))
        let first = try await f.create(chunkSize: 256 << 10).id
        try FileManager.default.removeItem(atPath: f.src + "/a")
        try Data(Trees.compressibleBytes(300_000, seed: 62)).write(to: URL(fileURLWithPath: f.src + "/b"))
        _ = try await f.create(chunkSize: 256 << 10)
        // The newest (kept) snapshot names a chunk in upper case: its object is not one prune can tell.
        let odd = try await f.tamper(first) { $0.chunks[0].id = $0.chunks[0].id.uppercased() }
        let chunks = Set(try f.chunkFiles())
        let manifests = try FileManager.default.contentsOfDirectory(atPath: f.storeRoot + "/snapshots")
        let p = SnapshotPruner(store: f.store, keepLast: 1, dryRun: false, grace: 0)
        let e = await expectFailure("which is not a SHA-256 id; prune deleted nothing") { _ = try await p.run(log: { _ in }) }
        #expect(e?.description.contains(odd) == true)
        #expect(Set(try f.chunkFiles()) == chunks)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.storeRoot + "/snapshots").sorted() == manifests.sorted())
    }

    @Test func reuseExistingFetchesOnlyWhatChanged() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        for i in 0..<20 {
            try Data(Trees.compressibleBytes(500_000, seed: UInt64(i))).write(to: URL(fileURLWithPath: f.src + "/sst-\(i)"))
        }
        let old = try await f.create(chunkSize: 256 << 10)
        let target = f.tmp.sub("node")
        _ = try await f.restore(target, snapshot: old.id)
        // The node moves on: two files replaced, one added, one removed.
        try Data(Trees.compressibleBytes(500_000, seed: 1000)).write(to: URL(fileURLWithPath: f.src + "/sst-3"))
        try Data(Trees.compressibleBytes(500_000, seed: 1001)).write(to: URL(fileURLWithPath: f.src + "/sst-20"))
        try FileManager.default.removeItem(atPath: f.src + "/sst-7")
        let new = try await f.create(chunkSize: 256 << 10)
        let r = try await f.restore(target, snapshot: new.id, reuse: true)
        #expect(r.reusedBytes >= 17 * 500_000)
        #expect(r.fetchedChunks <= 6, "fetched \(r.fetchedChunks) chunks")
        #expect(try Trees.describe(target) == Trees.describe(f.src))
    }
}
