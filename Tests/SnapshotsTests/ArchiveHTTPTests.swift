import Codecs
import Foundation
import SnapshotCore
import Snapshots
import Stores
import Testing
import TestSupport

/// Archive restores over real HTTP servers on 127.0.0.1: nginx (plain and TLS with a test CA)
/// and the misbehaving fault server.
@Suite("Archive restores over HTTP", .serialized)
struct ArchiveHTTPTests {
    static let enabled = Servers.enabled("nginx", "openssl", "python3", "tar", "zstd")

    /// A served folder holding `node.tar.zst` of a generated tree.
    final class Fixture: @unchecked Sendable {
        let tmp = TempDir("archive-http")
        let served: String
        let src: String
        let archive: String
        let sha256: String

        init() throws {
            served = tmp.sub("served")
            src = tmp.sub("src")
            try FS.makeDirectories(served)
            try FS.makeDirectories(src)
            try ArchiveFixtures.makeTree(at: src, bigFileBytes: 2 << 20, compressibleBytes: 1 << 20)
            archive = try ArchiveFixtures.gnuTar(src, to: served + "/node.tar.zst", flags: ["-I", "zstd"])
            sha256 = SHA256Hasher.hex(try FS.readFile(archive))
        }

        func expectSameTree(_ target: String) throws {
            let got = try ArchiveFixtures.listing(target, skip: [ReservedNames.marker])
            let want = try ArchiveFixtures.listing(src)
            #expect(got == want, "restored tree differs:\n\(diff(want, got))")
        }
    }

    static func options(sha256: String? = nil) -> ArchiveRestore.Options {
        ArchiveRestore.Options(sha256: sha256, rangeSize: 256 << 10, preserveOwnership: false)
    }

    @Test("from nginx over HTTP and HTTPS (test CA): identical tree, SHA-256 checked", .enabled(if: enabled))
    func nginx() async throws {
        let f = try Fixture()
        let nginx = try NginxServer(root: f.served, workDir: f.tmp.sub("nginx"))
        defer { nginx.stop() }
        for (name, base) in [("plain", nginx.plainURL), ("tls", nginx.tlsURL)] {
            let target = f.tmp.sub("target-\(name)")
            let so = StoreOptions(caFile: nginx.caFile, connections: 4, memoryLimit: 64 << 20)
            let s = try await ArchiveRestore.run(from: base + "/node.tar.zst", to: target, storeOptions: so,
                                                 options: Self.options(sha256: f.sha256))
            #expect(s.sha256 == f.sha256)
            #expect(s.format == .tarZstd)
            try f.expectSameTree(target)
        }
    }

    @Test("faults the downloader recovers from still give an identical tree",
          .enabled(if: enabled), arguments: ["drop/3", "norange/0", "wrongrange/2", "500/2", "503/2"])
    func recoverableFaults(fault: String) async throws {
        let f = try Fixture()
        let server = try FaultServer(root: f.served, logDir: f.tmp.path)
        defer { server.stop() }
        let target = f.tmp.sub("target")
        let so = StoreOptions(connections: 4, memoryLimit: 64 << 20)
        _ = try await ArchiveRestore.run(from: server.baseURL + "/" + fault + "/node.tar.zst", to: target, storeOptions: so,
                                         options: Self.options())
        try f.expectSameTree(target)
    }

    @Test("a server that keeps sending short bodies fails clearly and leaves the target untouched", .enabled(if: enabled))
    func persistentFault() async throws {
        let f = try Fixture()
        let server = try FaultServer(root: f.served, logDir: f.tmp.path)
        defer { server.stop() }
        let target = f.tmp.sub("target")
        try FS.makeDirectories(target)
        try FS.writeAtomically(target + "/keep.txt", bytes: Array("keep".utf8))
        let before = try ArchiveFixtures.listing(target)
        var o = Self.options()
        o.force = true
        let so = StoreOptions(connections: 4, memoryLimit: 64 << 20)
        await #expect(throws: (any Error).self) {
            try await ArchiveRestore.run(from: server.url("short", "node.tar.zst"), to: target, storeOptions: so, options: o)
        }
        #expect(try ArchiveFixtures.listing(target) == before)
    }

    @Test("an archive whose ETag changes during the restore fails clearly and leaves the target untouched", .enabled(if: enabled))
    func changedArchive() async throws {
        let f = try Fixture()
        let server = try FaultServer(root: f.served, logDir: f.tmp.path)
        defer { server.stop() }
        let target = f.tmp.sub("target")
        let so = StoreOptions(connections: 4, memoryLimit: 64 << 20)
        await #expect {
            try await ArchiveRestore.run(from: server.url("etag", times: 3, "node.tar.zst"), to: target, storeOptions: so,
                                         options: Self.options())
        } throws: { e in
            "\(e)".contains("changed while it was being restored")
        }
        #expect(try FS.listDirectory(target).isEmpty)
    }
}
