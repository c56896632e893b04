import Foundation
import Testing
import TestSupport

/// Signed snapshots, hostile inputs and redaction, through the `chainsnap` binary (issue 10).
@Suite struct TrustCLITests {
    let bin = Paths.chainsnapBinary
    static let python = Paths.packageRoot + "/.venv/bin/python3"
    /// The venv's Python has `cryptography` (scripts/setup.sh installs .ci/pip-packages.txt).
    static let havePythonCrypto: Bool = {
        FileManager.default.isExecutableFile(atPath: python)
            && ((try? run(python, ["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"]).status) == 0)
    }()

    func snapshotStore(_ t: TempDir, signingKey: String? = nil) throws -> (store: String, id: String) {
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 300_000)
        let store = "file://" + t.sub("store")
        var args = ["snapshot", "create", t.sub("src"), "--to", store, "--chunk-size", "256KiB"]
        if let signingKey { args += ["--signing-key", signingKey] }
        let c = try run(bin, args)
        #expect(c.status == 0, "\(c.stderr)")
        return (store, c.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func keysGenerateWritesAPrivateKeyOnlyItsOwnerCanRead() throws {
        let t = TempDir("keys")
        let g = try run(bin, ["keys", "generate", "--out", t.sub("k")])
        #expect(g.status == 0, "\(g.stderr)")
        let id = g.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 16)
        let attrs = try FileManager.default.attributesOfItem(atPath: t.sub("k/chainsnap-signing.key"))
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(try run(bin, ["keys", "show", t.sub("k/chainsnap-signing.pub")]).stdout.hasPrefix(id))
        #expect(try run(bin, ["keys", "show", t.sub("k/chainsnap-signing.key")]).stdout.hasPrefix(id))
        // Never overwrites a key.
        let again = try run(bin, ["keys", "generate", "--out", t.sub("k")])
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        // The key is never printed.
        let key = try String(contentsOfFile: t.sub("k/chainsnap-signing.key"), encoding: .utf8)
        let body = key.split(separator: "\n")[1]
        #expect(!g.output.contains(body))
    }

    @Test(.enabled(if: havePythonCrypto)) func pythonCryptographyVerifiesWhatChainsnapSigned() throws {
        let t = TempDir("sig-py")
        #expect(try run(bin, ["keys", "generate", "--out", t.sub("k")]).status == 0)
        let (store, id) = try snapshotStore(t, signingKey: t.sub("k/chainsnap-signing.key"))
        let script = """
            import base64, hashlib, json, sys
            from cryptography.hazmat.primitives.serialization import load_pem_public_key, Encoding, PublicFormat
            pub = load_pem_public_key(open(sys.argv[1], 'rb').read())
            manifest = open(sys.argv[2], 'rb').read()
            doc = json.load(open(sys.argv[2] + '.sig'))
            raw = pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
            assert doc['format'] == 'chainsnap-signature' and doc['version'] == 1 and doc['algorithm'] == 'ed25519', doc
            assert doc['keyId'] == hashlib.sha256(raw).hexdigest()[:16], 'key id'
            assert doc['sha256'] == hashlib.sha256(manifest).hexdigest(), 'sha256'
            pub.verify(base64.b64decode(doc['signature'], validate=True), manifest)  # raises InvalidSignature
            try:
                pub.verify(base64.b64decode(doc['signature']), manifest[:-1] + bytes([manifest[-1] ^ 1]))
                sys.exit('an edited manifest verified')
            except Exception as e:
                assert type(e).__name__ == 'InvalidSignature', e
            print('ok', doc['keyId'])
            """
        let manifest = String(store.dropFirst("file://".count)) + "/snapshots/\(id).json.zst"
        let r = try run(Self.python, ["-c", script, t.sub("k/chainsnap-signing.pub"), manifest])
        #expect(r.status == 0 && r.stdout.hasPrefix("ok "), "\(r.output)")
    }

    @Test(.enabled(if: havePythonCrypto)) func chainsnapVerifiesWhatPythonSigned() throws {
        let t = TempDir("py-sig")
        let (store, id) = try snapshotStore(t)
        let manifest = String(store.dropFirst("file://".count)) + "/snapshots/\(id).json.zst"
        let script = """
            import base64, hashlib, json, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
            key = Ed25519PrivateKey.generate()
            pub = key.public_key()
            open(sys.argv[1], 'wb').write(pub.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
            data = open(sys.argv[2], 'rb').read()
            raw = pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
            doc = {'format': 'chainsnap-signature', 'version': 1, 'algorithm': 'ed25519',
                   'keyId': hashlib.sha256(raw).hexdigest()[:16], 'object': 'snapshots/' + sys.argv[3] + '.json.zst',
                   'sha256': hashlib.sha256(data).hexdigest(), 'signature': base64.b64encode(key.sign(data)).decode()}
            open(sys.argv[2] + '.sig', 'w').write(json.dumps(doc))
            """
        let p = try run(Self.python, ["-c", script, t.sub("py.pub"), manifest, id])
        #expect(p.status == 0, "\(p.output)")
        // A folder of trusted keys (a mounted ConfigMap) holding the Python key and another one: rotation.
        try FileManager.default.createDirectory(atPath: t.sub("trusted/..data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: t.sub("py.pub"), toPath: t.sub("trusted/publisher.pub"))
        #expect(try run(bin, ["keys", "generate", "--out", t.sub("trusted"), "--name", "next"]).status == 0)
        try FileManager.default.removeItem(atPath: t.sub("trusted/next.key"))

        let ok = try run(bin, ["snapshot", "restore", "--from", store, t.sub("out"), "--trusted-keys", t.sub("trusted")])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try Trees.describe(t.sub("out")) == Trees.describe(t.sub("src")))
        #expect(try run(bin, ["snapshot", "verify", store, "--trusted-keys", t.sub("py.pub")]).status == 0)

        // The store's manifest edited by one byte: the restore refuses and writes nothing.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: manifest))
        bytes[bytes.count - 5] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: manifest))
        let bad = try run(bin, ["snapshot", "restore", "--from", store, t.sub("out2"), "--trusted-keys", t.sub("trusted")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("does not match its signature"), "\(bad.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: t.sub("out2"))) ?? []).isEmpty)
        let v = try run(bin, ["snapshot", "verify", store, "--trusted-keys", t.sub("py.pub")])
        #expect(v.status == 1 && v.stdout.contains("BROKEN"), "\(v.output)")
    }

    @Test func unsignedStoresAndArchivesAreRefusedWithTrustedKeys() throws {
        let t = TempDir("unsigned")
        #expect(try run(bin, ["keys", "generate", "--out", t.sub("k")]).status == 0)
        let (store, _) = try snapshotStore(t)
        let r = try run(bin, ["snapshot", "restore", "--from", store, t.sub("out"), "--trusted-keys", t.sub("k/chainsnap-signing.pub")])
        #expect(r.status == 1 && r.stderr.contains("is not signed"), "\(r.stderr)")
        let a = try run(bin, ["snapshot", "restore", "--from", "file://" + t.sub("x.tar.zst"), t.sub("out"),
                              "--trusted-keys", t.sub("k/chainsnap-signing.pub")])
        #expect(a.status == 64 && a.stderr.contains("archive carries no signature"), "\(a.stderr)")
        let missing = try run(bin, ["snapshot", "restore", "--from", store, t.sub("out"), "--trusted-keys", t.sub("nope")])
        #expect(missing.status == 1 && missing.stderr.contains("does not exist"))
        // prepare-data hands the flag on to the restore it runs.
        let p = try run(bin, ["node", "prepare-data", "--data-dir", t.sub("data"), "--chain-data", "db", "--from", store,
                              "--trusted-keys", t.sub("k/chainsnap-signing.pub"), "--dry-run"])
        #expect(p.stdout.contains("--trusted-keys " + t.sub("k/chainsnap-signing.pub")), "\(p.output)")
    }

    /// `rlp split --signing-key` signs the bundle; `rlp import --trusted-keys` checks it before the node is asked anything.
    @Test func signedBundlesThroughTheCLI() throws {
        let t = TempDir("rlp-sign")
        let chain = Paths.packageRoot + "/fuzz/corpus/rlp/three-blocks.rlp"
        #expect(try run(bin, ["keys", "generate", "--out", t.sub("k")]).status == 0)
        #expect(try run(bin, ["keys", "generate", "--out", t.sub("other")]).status == 0)
        let store = "file://" + t.sub("store")
        let s = try run(bin, ["rlp", "split", chain, "--to", store, "--network", "devnet", "--blocks-per-part", "2",
                              "--signing-key", t.sub("k/chainsnap-signing.key")])
        #expect(s.status == 0, "\(s.output)")
        let sigs = try FileManager.default.contentsOfDirectory(atPath: t.sub("store/rlp/devnet/signatures"))
        #expect(sigs.count == 1 && sigs[0].hasSuffix(".sig"))
        // Extending it without the key would make it unsigned: refused.
        let unsigned = try run(bin, ["rlp", "split", chain, "--to", store, "--network", "devnet"])
        #expect(unsigned.status == 1 && unsigned.stderr.contains("extending it unsigned"), "\(unsigned.output)")

        let importArgs = ["rlp", "import", "--rpc", "http://127.0.0.1:9", "--from", store, "--network", "devnet", "--work-dir", t.sub("w")]
        let wrong = try run(bin, importArgs + ["--trusted-keys", t.sub("other/chainsnap-signing.pub")])
        #expect(wrong.status == 1 && wrong.stderr.contains("not among the trusted keys"), "\(wrong.output)")
        // With the right key the signature passes and the import goes on to the node (absent here).
        let right = try run(bin, importArgs + ["--trusted-keys", t.sub("k/chainsnap-signing.pub"), "--rpc-timeout", "2"])
        #expect(right.status == 1 && !right.stderr.contains("signature") && !right.stderr.contains("trusted"), "\(right.output)")
        let legacy = try run(bin, ["rlp", "import", "--rpc", "http://127.0.0.1:9", "--base-url", store, "--file", "x", "--parts", "aa",
                                   "--work-dir", t.sub("w"), "--trusted-keys", t.sub("k/chainsnap-signing.pub")])
        #expect(legacy.status == 64 && legacy.stderr.contains("legacy layout carries no signature"), "\(legacy.output)")
    }

    @Test(arguments: [["--memory-limit", "99999999999999999999"], ["--memory-limit", "10000000000GiB"],
                      ["--chunk-size", "99999999999999999999"], ["--chunk-size", "10000000000GiB"]])
    func hugeSizesAreUsageErrorsNotCrashes(flag: [String]) throws {
        let t = TempDir("sizes")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1000)
        let r = try run(bin, ["snapshot", "create", t.sub("src"), "--to", "file://" + t.sub("store")] + flag)
        #expect(r.status == 64, "\(r.output)")
        #expect(r.stderr.contains("\(flag[0]): size '\(flag[1])' is too large"), "\(r.stderr)")
    }

    /// A 16-byte manifest declaring 2 GiB: under a 1.8 GB address-space limit, today's build must
    /// list the store (flagging that snapshot) and refuse to restore it, without trying to allocate it.
    @Test func aManifestDeclaringTwoGiBNeitherAllocatesNorStopsTheListing() throws {
        let t = TempDir("lying-manifest")
        let (store, good) = try snapshotStore(t)
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        for i in 0..<8 { frame.append(UInt8(truncatingIfNeeded: UInt64((1 << 31) - 1) >> (8 * UInt64(i)))) }
        frame += [0x01, 0x00, 0x00]
        let bad = "20200101T000000Z-0badf00d"
        try Data(frame).write(to: URL(fileURLWithPath: t.sub("store/snapshots/\(bad).json.zst")))
        let limited = "ulimit -v 1800000; export MALLOC_ARENA_MAX=2; exec \"$0\" \"$@\""
        let l = try run("/bin/bash", ["-c", limited, bin, "snapshot", "list", store])
        #expect(l.status == 0, "\(l.output)")
        #expect(l.stdout.contains(good))
        #expect(l.stdout.contains("\(bad)  BROKEN: manifest of snapshot \(bad) is corrupt"), "\(l.stdout)")
        #expect(l.stderr.contains("cannot be read"))
        let j = try run("/bin/bash", ["-c", limited, bin, "snapshot", "list", store, "--json"])
        let rows = try jsonLines(j.stdout)
        #expect(rows.count == 2 && rows[0]["error"] != nil && rows[1]["files"] as? Int != nil, "\(j.output)")
        let r = try run("/bin/bash", ["-c", limited, bin, "snapshot", "restore", "--from", store, "--snapshot", bad, t.sub("out")])
        #expect(r.status == 1 && r.stderr.contains("declares 2147483647 bytes"), "\(r.output)")
        let v = try run("/bin/bash", ["-c", limited, bin, "snapshot", "verify", store])
        #expect(v.status == 1 && v.stdout.contains("\(good): ok"), "\(v.output)")
    }

    /// Query secrets of an archive URL reach neither the output nor the 0644 marker (issue 10, item 6).
    @Test(.requires("nginx", "tar")) func archiveURLSecretsAreRedactedEverywhere() throws {
        let t = TempDir("redact")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 100_000)
        try FileManager.default.createDirectory(atPath: t.sub("served"), withIntermediateDirectories: true)
        #expect(try run("tar", ["-cf", t.sub("served/node.tar"), "-C", t.sub("src"), "."]).status == 0)
        let nginx = try NginxServer(root: t.sub("served"), workDir: t.sub("nginx"))
        defer { nginx.stop() }
        let secrets = ["SIGSECRET", "AUTHSECRET", "HDNTSSECRET", "KEYSECRET", "PWSECRET"]
        let url = nginx.plainURL + "/node.tar?sv=2024&sig=SIGSECRET&auth_key=AUTHSECRET&hdnts=HDNTSSECRET&key=KEYSECRET&password=PWSECRET&partNumber=1"
        let r = try run(bin, ["snapshot", "restore", "--from", url, t.sub("out"), "--json"])
        #expect(r.status == 0, "\(r.output)")
        let marker = try String(contentsOfFile: t.sub("out/.chainsnap-restore.json"), encoding: .utf8)
        for s in secrets {
            #expect(!r.output.contains(s), "\(s) printed: \(r.output)")
            #expect(!marker.contains(s), "\(s) stored in the marker: \(marker)")
        }
        #expect(marker.contains("sig=REDACTED") && marker.contains("sv=2024") && marker.contains("partNumber=1"), "\(marker)")
        // The same URL again (any signature): already restored, nothing to do.
        let again = try run(bin, ["snapshot", "restore", "--from", url.replacingOccurrences(of: "SIGSECRET", with: "OTHER"), t.sub("out")])
        #expect(again.status == 0 && again.stderr.contains("nothing to do"), "\(again.output)")
    }
}
