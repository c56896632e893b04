import Foundation
import LocalFS
import SnapshotCore
import Stores
import TestSupport
import Testing

@Suite("Store settings") struct StoreSettingsTests {
    @Test("given settings print back as arguments in a fixed order; absent ones print nothing")
    func arguments() {
        #expect(StoreSettings().arguments == [])
        let s = StoreSettings(endpoint: "http://e", region: "r", pathStyle: true, credentialsDir: "/c", profile: "p", caFile: "/ca",
                              http2: true, connections: 4, memoryLimit: "64MiB")
        #expect(s.arguments == ["--endpoint", "http://e", "--region", "r", "--path-style", "--credentials-dir", "/c", "--profile", "p",
                                "--ca-file", "/ca", "--http2", "--connections", "4", "--memory-limit", "64MiB"])
    }

    @Test("defaults fill the options; connections and the memory limit are checked")
    func validation() throws {
        let o = try StoreSettings().options()
        #expect(o.connections == StoreSettings.defaultConnections)
        #expect(o.memoryLimit == 256 << 20)
        #expect(o.pathStyle == nil)
        #expect(try StoreSettings(pathStyle: true, memoryLimit: "16MiB").options().pathStyle == true)
        try StoreSettings(connections: 256, memoryLimit: "16MiB").validate()
        let cases: [(StoreSettings, String)] = [
            (StoreSettings(connections: 0), "--connections must be between 1 and 256"),
            (StoreSettings(memoryLimit: "15MiB"), "--memory-limit must be at least 16MiB"),
            (StoreSettings(memoryLimit: "much"), "--memory-limit: cannot read size 'much'; use a number with an optional unit, e.g. 4MiB, 512k, 2G"),
        ]
        for (s, message) in cases {
            let e = #expect(throws: ChainsnapError.self) { try s.validate() }
            #expect(e?.message == message)
        }
    }

    @Test("--from-file: the URL in the file, trimmed; a missing or empty file is an error")
    func urlFile() throws {
        let t = TempDir("from-file")
        try Data("https://h/a.tar.zst?sig=x\n".utf8).write(to: URL(fileURLWithPath: t.sub("url")))
        #expect(try CredentialResolver.readURLFile(t.sub("url")) == "https://h/a.tar.zst?sig=x")
        try Data("\n".utf8).write(to: URL(fileURLWithPath: t.sub("empty")))
        for p in [t.sub("empty"), t.sub("missing")] {
            let e = #expect(throws: ChainsnapError.self) { try CredentialResolver.readURLFile(p) }
            #expect(e?.message == "cannot read --from-file '\(p)', or it is empty")
        }
    }

    @Test("keys generate: a 0600 private and a 0644 public key with one id; never over existing files")
    func keyPair() throws {
        let t = TempDir("keys")
        let old = umask(0o077)
        defer { umask(old) }
        let (key, pub, id) = try KeyFiles.generate(into: t.sub("k"), name: "signer")
        #expect(FS.lstatus(key).map { $0.st_mode & 0o777 } == 0o600)
        #expect(FS.lstatus(pub).map { $0.st_mode & 0o777 } == 0o644)  // the umask does not tighten it
        #expect(try KeyFiles.describe(key) == ["\(id)  ed25519 private key \(key)"])
        #expect(try KeyFiles.describe(pub) == ["\(id)  ed25519 public key"])
        let before = try Data(contentsOf: URL(fileURLWithPath: key))
        let e = #expect(throws: ChainsnapError.self) { try KeyFiles.generate(into: t.sub("k"), name: "signer") }
        #expect(e?.message == "'\(key)' already exists; not overwriting a key")
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == before)
    }
}
