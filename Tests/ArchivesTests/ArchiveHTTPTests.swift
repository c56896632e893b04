import Codecs
import Foundation
import LocalFS
import RestoreCore
import SnapshotCore
import Archives
import Stores
import Testing
import TestSupport

/// Archive restores over real servers on 127.0.0.1: nginx (plain and TLS with a test CA), SeaweedFS (S3)
/// and the misbehaving fault server.
@Suite("Archive restores over HTTP and S3", .serialized)
struct ArchiveHTTPTests {
    static let tools = ["nginx", "openssl", "python3", "tar", "zstd"]

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

    @Test("from nginx over HTTP and HTTPS (test CA): identical tree, SHA-256 checked", .requires(tools: tools))
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
          .requires(tools: tools), arguments: ["drop/3", "norange/0", "wrongrange/2", "500/2", "503/2"])
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

    @Test("a server that keeps sending short bodies fails clearly and leaves the target untouched", .requires(tools: tools))
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

    @Test("an archive whose ETag changes during the restore fails clearly and leaves the target untouched", .requires(tools: tools))
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

    @Test("from SeaweedFS over S3 (SigV4, credentials from a mounted-Secret folder): identical tree",
          .requires("weed", "tar", "lz4"))
    func s3() async throws {
        let f = try Fixture()
        _ = try ArchiveFixtures.gnuTar(f.src, to: f.tmp.sub("node.tar.lz4"), flags: ["-I", "lz4"])
        let work = f.tmp.sub("seaweed")
        try FS.makeDirectories(work)
        let server = try SeaweedServer(workDir: work)
        defer { server.stop() }
        let secrets = f.tmp.sub("secret")
        try FS.makeDirectories(secrets, mode: 0o700)
        try FS.writeAtomically(secrets + "/access-key-id", bytes: Array(server.accessKey.utf8), mode: 0o600)
        try FS.writeAtomically(secrets + "/secret-access-key", bytes: Array(server.secretKey.utf8), mode: 0o600)
        let so = StoreOptions(endpoint: server.endpoint, region: "us-east-1", credentialsDir: secrets, connections: 4,
                              memoryLimit: 64 << 20)
        let uploader = try S3Store(bucket: "archives", prefix: "", options: so)
        try await uploader.createBucket()
        try await uploader.putFile("mainnet/node.tar.lz4", path: f.tmp.sub("node.tar.lz4"))
        let target = f.tmp.sub("target")
        let s = try await ArchiveRestore.run(from: "s3://archives/mainnet/node.tar.lz4", to: target, storeOptions: so,
                                             options: Self.options())
        #expect(s.format == .tarLZ4)
        #expect(s.source == "s3://archives/mainnet/node.tar.lz4")
        try f.expectSameTree(target)

        // A presigned URL (what providers hand out): no credentials, the query goes with every
        // ranged GET, and nothing of the signature shows in the summary.
        let url = try uploader.presignedURL("mainnet/node.tar.lz4", expires: 300)
        let signed = f.tmp.sub("signed")
        var po = Self.options()
        po.rangeSize = 64 << 10  // several ranged GETs, each carrying the signature
        let p = try await ArchiveRestore.run(from: url, to: signed, storeOptions: StoreOptions(connections: 4, memoryLimit: 64 << 20),
                                             options: po)
        #expect(p.format == .tarLZ4)
        #expect(!p.source.contains(url.split(separator: "=").last.map(String.init) ?? "?"))
        #expect(p.source.contains("X-Amz-Signature=REDACTED"))
        try f.expectSameTree(signed)
        // The same URL with a forged signature is refused by the server, clearly; nothing is written.
        let forged = url.replacingOccurrences(of: "X-Amz-Signature=", with: "X-Amz-Signature=0")
        let refused = f.tmp.sub("refused")
        await #expect {
            try await ArchiveRestore.run(from: forged, to: refused, storeOptions: StoreOptions(connections: 4, memoryLimit: 64 << 20),
                                         options: Self.options())
        } throws: { e in "\(e)".contains("403") && !"\(e)".contains(server.secretKey) }
        #expect(try !FS.exists(refused) || FS.listDirectory(refused).isEmpty)
    }
}
