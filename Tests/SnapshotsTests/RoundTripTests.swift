import Foundation
import LocalFS
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

@Suite struct RoundTripTests {
    @Test(arguments: [ChunkCodec.zstd, .lz4])
    func treeRoundTripsExactly(codec: ChunkCodec) async throws {
        let f = Fixture()
        try Trees.makeSample(at: f.src)
        let before = try Trees.describe(f.src)
        let s = try await f.create(codec: codec, chunkSize: 1 << 20)
        #expect(s.manifest.totals.files == 46)
        #expect(s.manifest.totals.symlinks == 3)
        #expect(s.zeroBytes >= 6 << 20, "the zero MiBs of the 8 MiB mostly-zero file are not stored as data")
        let target = f.tmp.sub("restored")
        let r = try await f.restore(target)
        #expect(r.fetchedChunks == s.manifest.chunks.count)
        #expect(try Trees.describe(target) == before)
        // Holes stay holes: the mostly-zero file occupies far less than 8 MiB on disk.
        var st = stat()
        #expect(stat(target + "/db/mostly-zero.bin", &st) == 0)
        #expect(Int(st.st_blocks) * 512 <= 2 << 20)
        #expect(FileManager.default.fileExists(atPath: target + "/.chainsnap-restore.json"))
        #expect(!FileManager.default.fileExists(atPath: target + "/.chainsnap-staging"))
    }

    @Test func smallFilesArePacked() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        for i in 0..<2000 { try Data("tiny \(i)\n".utf8).write(to: URL(fileURLWithPath: f.src + "/f\(i)")) }
        let s = try await f.create(chunkSize: 1 << 20)
        #expect(s.manifest.totals.files == 2000)
        #expect(s.manifest.chunks.count < 100, "2000 small files became \(s.manifest.chunks.count) objects")
        let r = try await f.restore(f.tmp.sub("out"))
        #expect(r.files == 2000)
        #expect(try Trees.describe(f.tmp.sub("out")) == Trees.describe(f.src))
    }

    @Test(.requires("zstd", "lz4"), arguments: [ChunkCodec.zstd, .lz4])
    func chunksDecompressWithTheCLIToTheirName(codec: ChunkCodec) async throws {
        let tool = codec == .zstd ? "zstd" : "lz4"
        let f = Fixture()
        try Trees.makeSample(at: f.src)
        _ = try await f.create(codec: codec, chunkSize: 256 << 10)
        let files = try f.chunkFiles()
        #expect(files.count > 10)
        for file in files {
            let out = f.tmp.sub("plain")
            let r = try run(tool, codec == .zstd ? ["-d", "-q", "-f", file, "-o", out] : ["-d", "-q", "-f", file, out])
            #expect(r.status == 0, "\(tool) -d failed on \(file): \(r.stderr)")
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            #expect(try SHA256Hasher.hex(FS.readFile(out)) == name)
        }
    }

    @Test func secondSnapshotWritesOnlyTheChangedFile() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        for i in 0..<100 {
            try Data(Trees.compressibleBytes(300_000 + i * 1000, seed: UInt64(i))).write(to: URL(fileURLWithPath: f.src + "/sst-\(i)"))
        }
        let first = try await f.create(chunkSize: 1 << 20)
        let changed = Trees.compressibleBytes(350_000, seed: 999)
        try Data(changed).write(to: URL(fileURLWithPath: f.src + "/sst-42"))
        let second = try await f.create(chunkSize: 1 << 20)
        #expect(first.newRawBytes > 30_000_000)
        // The changed file is 350 kB; allow the pack it sits in (packs stay under the chunk size).
        #expect(second.newRawBytes >= 350_000)
        #expect(second.newRawBytes <= 1_500_000, "second snapshot wrote \(second.newRawBytes) raw bytes")
        #expect(second.reusedRawBytes > 28_000_000)
        let r = try await f.restore(f.tmp.sub("out"), snapshot: second.id)
        #expect(r.snapshot == second.id)
        #expect(try Trees.describe(f.tmp.sub("out")) == Trees.describe(f.src))
    }

    @Test func unchangedLargeFilesAreNotReadAgainUnlessRehash() async throws {
        let f = Fixture()
        try FileManager.default.createDirectory(atPath: f.src, withIntermediateDirectories: true)
        let path = f.src + "/000001.sst"
        try Data(Trees.compressibleBytes(2_000_000, seed: 1)).write(to: URL(fileURLWithPath: path))
        _ = try await f.create(chunkSize: 1 << 20)
        // Same size and mtime, different bytes: trusted as unchanged (like rsync/restic's quick check)…
        var st = stat()
        stat(path, &st)
        try Data(Trees.compressibleBytes(2_000_000, seed: 2)).write(to: URL(fileURLWithPath: path))
        var t = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, path, &t, 0)
        let quick = try await f.create(chunkSize: 1 << 20)
        #expect(quick.newRawBytes == 0)
        #expect(quick.reusedRawBytes == 2_000_000)
        // …and read again with --rehash.
        var o = CreateOptions()
        o.chunkSize = 1 << 20
        o.quiet = true
        o.reuseUnchanged = false
        let full = try await SnapshotCreator(store: f.store, options: o).run(directory: f.src)
        #expect(full.newRawBytes == 2_000_000)
        let r = try await f.restore(f.tmp.sub("out"), snapshot: full.id)
        #expect(r.fetchedChunks == 2)
        #expect(try Trees.describe(f.tmp.sub("out")) == Trees.describe(f.src))
    }

    @Test func alreadyRestoredIsANoOp() async throws {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 100_000)
        _ = try await f.create()
        let target = f.tmp.sub("out")
        _ = try await f.restore(target)
        let before = try Trees.describe(target)
        let again = try await f.restore(target)
        #expect(again.alreadyRestored)
        #expect(again.fetchedChunks == 0)
        #expect(try Trees.describe(target) == before)
    }
}
