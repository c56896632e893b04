import ChainData
import Codecs
import Foundation
import LocalFS
import SnapshotCore
import Stores
import Testing
import TestSupport

/// RLP canonical form and oversize messages (issue 10, item 9), and signed bundles.
@Suite struct RLPStrictnessTests {
    /// A block whose header field `index` is replaced by the raw string `payload`.
    func block(field index: Int, payload: [UInt8]) -> [UInt8] {
        guard case .list(var fields) = BlockBuilder.header(number: 5, parent: .zero, timestamp: 1_700_000_000, fields: 16) else { return [] }
        fields[index] = .bytes(payload)
        return RLPValue.list([.list(fields), .list([]), .list([])]).encoded()
    }

    @Test(arguments: [8, 11])
    func integersWithLeadingZeroBytesAreRefused(field: Int) throws {
        #expect(try scanAll(block(field: field, payload: [0x05])).count == 1)
        #expect {
            _ = try scanAll(block(field: field, payload: [0x00, 0x05]))
        } throws: { e in
            (e as? ChainsnapError)?.message.contains("leading zero bytes (non-canonical integer)") == true
        }
        // Zero is the empty string; a lone 0x00 byte is the non-canonical spelling of it.
        #expect(try scanAll(block(field: field, payload: [])).count == 1)
        #expect(throws: ChainsnapError.self) { _ = try scanAll(block(field: field, payload: [0x00])) }
    }

    @Test func aHugeListPrefixReportsItsDeclaredLength() throws {
        // 0xff: a list whose length takes 8 bytes; here 2^60.
        let prefix: [UInt8] = [0xff, 0x10, 0, 0, 0, 0, 0, 0, 0]
        #expect {
            _ = try scanAll(prefix + [UInt8](repeating: 0, count: 16))
        } throws: { e in
            let m = (e as? ChainsnapError)?.message ?? ""
            return m.contains("declares 1152921504606846976 bytes") && m.contains("oversized")
        }
        #expect {
            _ = try RLPValue.decode([0xbc, 0x01, 0, 0, 0, 0])
        } throws: { e in (e as? ChainsnapError)?.message.contains("declares 4294967296 bytes") == true }
    }
}

@Suite struct SignedBundleTests {
    let signer = SigningKey(key: try! Ed25519PrivateKey.generate(), source: "test")

    func publish(_ store: FileStore, count: Int = 20, first: UInt64 = 1, parent: Hash32 = .zero, key: SigningKey?) async throws -> [Hash32] {
        let (bytes, hashes) = BlockBuilder.chain(first: first, count: count, parent: parent)
        let w = try await BundleWriter(store: store, network: "devnet", cut: .blocks(10), tool: "test", signingKey: key)
        try RLPBlockScanner().feed(bytes) { info, raw in try w.add(info, raw: raw) }
        try await w.finish()
        return hashes
    }

    @Test(.requiresPython(["cryptography"], packages: "cryptography")) func aSignedBundleLoadsWithItsKeyAndRefusesEdits() async throws {
        let t = TempDir("bundle-sign")
        let store = FileStore(root: t.sub("s"))
        let hashes = try await publish(store, key: signer)
        let trusted = TrustedKeys(keys: [signer.key.publicKey], source: "k")
        let m = try await BundleManifest.load(from: store, network: "devnet", trustedKeys: trusted)
        #expect(m.signing?.keyId == signer.keyID && m.parts.count == 2)
        try checkWithPython(root: t.sub("s"), publicKeyPEM: signer.key.publicKey.pem, tmp: t)

        // Appending re-signs; the old signature object is replaced, not left behind.
        _ = try await publish(store, count: 5, first: 21, parent: hashes.last!, key: signer)
        #expect(try await BundleManifest.load(from: store, network: "devnet", trustedKeys: trusted).parts.count == 3)
        #expect(try await store.list(prefix: "rlp/devnet/signatures/").count == 1)

        // Unsigned appends to a signed bundle are refused (it would silently lose its signature).
        await #expect(throws: ChainsnapError.self) { _ = try await publish(store, count: 1, first: 26, key: nil) }

        // One byte of the manifest changed: refused.
        let path = t.sub("s") + "/" + BundleManifest.key(network: "devnet")
        var bytes = try FS.readFile(path)
        let i = bytes.firstIndex(of: UInt8(ascii: "7"))!
        bytes[i] = UInt8(ascii: "8")
        try FS.writeAtomically(path, bytes: bytes)
        do {
            _ = try await BundleManifest.load(from: store, network: "devnet", trustedKeys: trusted)
            Issue.record("an edited bundle manifest was accepted")
        } catch let e as ChainsnapError {
            #expect(e.code == .untrusted)
            #expect(e.message.contains("is not signed") || e.message.contains("does not match"), "\(e.message)")
        }
        // Without trusted keys the bundle is still readable as before (version 1).
        _ = try await BundleManifest.load(from: store, network: "devnet", trustedKeys: nil)
    }

    @Test func unsignedBundlesAndOtherKeysAreRefused() async throws {
        let t = TempDir("bundle-unsigned")
        let store = FileStore(root: t.sub("s"))
        _ = try await publish(store, key: nil)
        let trusted = TrustedKeys(keys: [signer.key.publicKey], source: "k")
        do {
            _ = try await BundleManifest.load(from: store, network: "devnet", trustedKeys: trusted)
            Issue.record("an unsigned bundle was accepted")
        } catch let e as ChainsnapError { #expect(e.message.contains("is not signed")) }

        let t2 = TempDir("bundle-other")
        let store2 = FileStore(root: t2.sub("s"))
        _ = try await publish(store2, key: SigningKey(key: try Ed25519PrivateKey.generate(), source: "other"))
        do {
            _ = try await BundleManifest.load(from: store2, network: "devnet", trustedKeys: trusted)
            Issue.record("a bundle signed by an unknown key was accepted")
        } catch let e as ChainsnapError { #expect(e.message.contains("not among the trusted keys")) }
    }

    /// Python's `cryptography` verifies the bundle signature independently (docs/RLP-BUNDLE.md, "Signatures").
    func checkWithPython(root: String, publicKeyPEM: String, tmp: TempDir) throws {
        let py = try Requirements.needPython(["cryptography"], packages: "cryptography")
        try publicKeyPEM.write(toFile: tmp.sub("pub.pem"), atomically: true, encoding: .utf8)
        let script = """
            import base64, hashlib, json, sys
            from cryptography.hazmat.primitives.serialization import load_pem_public_key
            root = sys.argv[2]
            data = open(root + '/rlp/devnet/manifest.json', 'rb').read()
            digest = hashlib.sha256(data).hexdigest()
            doc = json.load(open(root + '/rlp/devnet/signatures/' + digest + '.sig'))
            assert doc['object'] == 'rlp/devnet/manifest.json' and doc['sha256'] == digest
            assert json.loads(data)['signing']['keyId'] == doc['keyId']
            load_pem_public_key(open(sys.argv[1], 'rb').read()).verify(base64.b64decode(doc['signature']), data)
            print('ok')
            """
        let r = try run(py, ["-c", script, tmp.sub("pub.pem"), root])
        #expect(r.status == 0 && r.stdout.hasPrefix("ok"), "\(r.output)")
    }
}
