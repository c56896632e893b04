import Foundation
import LocalFS
import RestoreCore
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// Signed snapshots: restores and verifies with trusted keys refuse anything not signed by them.
@Suite struct SigningTests {
    let signer = SigningKey(key: try! Ed25519PrivateKey.generate(), source: "test")

    func signedFixture() async throws -> (Fixture, String) {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 300_000)
        var o = CreateOptions()
        o.quiet = true
        o.chunkSize = 256 << 10
        o.signingKey = signer
        let s = try await SnapshotCreator(store: f.store, options: o).run(directory: f.src)
        return (f, s.id)
    }

    func restore(_ f: Fixture, _ target: String, snapshot: String? = nil, trusting keys: [Ed25519PublicKey]) async throws {
        var o = RestoreOptions()
        o.snapshot = snapshot
        o.quiet = true
        o.trustedKeys = TrustedKeys(keys: keys, source: "test keys")
        _ = try await SnapshotRestorer(store: f.store, options: o, log: { _ in }).run(into: target)
    }

    @Test func aSignedSnapshotRestoresWithItsKeyAndRecordsTheKeyId() async throws {
        let (f, id) = try await signedFixture()
        let m = try await SnapshotCatalog(store: f.store).load(id)
        #expect(m.signing == SigningInfo(keyId: signer.keyID))
        #expect(FileManager.default.fileExists(atPath: f.storeRoot + "/" + SnapshotLayout.signatureKey(id)))
        try await restore(f, f.tmp.sub("t"), trusting: [signer.key.publicKey])
        #expect(try Trees.describe(f.tmp.sub("t")) == Trees.describe(f.src))
    }

    @Test func aManifestEditedByOneByteIsRefused() async throws {
        let (f, id) = try await signedFixture()
        let path = f.storeRoot + "/" + SnapshotLayout.manifestKey(id)
        var bytes = try FS.readFile(path)
        bytes[bytes.count / 2] ^= 0x01
        try FS.writeAtomically(path, bytes: bytes)
        let target = f.tmp.sub("t")
        let e = await expectFailure("does not match its signature") { try await restore(f, target, trusting: [signer.key.publicKey]) }
        #expect(e?.code == .untrusted)
        #expect(e?.description.contains("bytes changed after signing") == true)
        #expect(!FileManager.default.fileExists(atPath: target + "/" + ReservedNames.staging), "nothing was written")
    }

    @Test func unsignedSnapshotsAndUnknownKeysAreRefused() async throws {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 100_000)
        let unsigned = try await f.create()
        await expectFailure("is not signed") { try await restore(f, f.tmp.sub("a"), trusting: [signer.key.publicKey]) }
        // Unsigned snapshots still restore without --trusted-keys (version-1 manifests stay readable).
        _ = try await f.restore(f.tmp.sub("b"), snapshot: unsigned.id)

        let (g, _) = try await signedFixture()
        let other = try Ed25519PrivateKey.generate().publicKey
        let e = await expectFailure("not among the trusted keys (\(other.keyID))") { try await restore(g, g.tmp.sub("c"), trusting: [other]) }
        #expect(e?.description.contains(signer.keyID) == true)
    }

    @Test func severalTrustedKeysAllowRotation() async throws {
        let (f, id) = try await signedFixture()
        let next = SigningKey(key: try Ed25519PrivateKey.generate(), source: "next")
        try Data("after the rotation".utf8).write(to: URL(fileURLWithPath: f.src + "/rotated.txt"))
        var o = CreateOptions()
        o.quiet = true
        o.signingKey = next
        let second = try await SnapshotCreator(store: f.store, options: o).run(directory: f.src)
        let both = [signer.key.publicKey, next.key.publicKey]
        try await restore(f, f.tmp.sub("old"), snapshot: id, trusting: both)
        try await restore(f, f.tmp.sub("new"), snapshot: second.id, trusting: both)
        await expectFailure("not among the trusted keys") { try await restore(f, f.tmp.sub("x"), snapshot: second.id, trusting: [signer.key.publicKey]) }
        let checks = try await SnapshotVerifier(store: f.store, deep: false, quiet: true,
                                                trustedKeys: TrustedKeys(keys: [next.key.publicKey], source: "k")).verify(ids: [id, second.id])
        #expect(checks.map(\.ok) == [false, true])
        #expect(checks[0].manifestError?.contains("not among the trusted keys") == true)
    }

    @Test func aSignedManifestCopiedUnderAnotherIdIsRefused() async throws {
        let (f, id) = try await signedFixture()
        let copy = SnapshotID.make(compactUTC: "20990101T000000Z", random: 7)
        for key in [SnapshotLayout.manifestKey, SnapshotLayout.signatureKey] {
            try FS.writeAtomically(f.storeRoot + "/" + key(copy), bytes: try FS.readFile(f.storeRoot + "/" + key(id)))
        }
        await expectFailure("describes snapshot \(id)") { try await restore(f, f.tmp.sub("t"), snapshot: copy, trusting: [signer.key.publicKey]) }
    }

    @Test func aManifestClaimingAnotherKeyIsRefused() async throws {
        let (f, id) = try await signedFixture()
        // Re-sign an edited manifest (claiming another key id) with the trusted key.
        var m = try await SnapshotCatalog(store: f.store).load(id)
        m.signing = SigningInfo(keyId: "0000000000000000")
        let bytes = try SnapshotLayout.encode(m)
        try await f.store.put(SnapshotLayout.manifestKey(id), bytes: bytes)
        try await f.store.put(SnapshotLayout.signatureKey(id), bytes: try signer.sign(bytes, object: SnapshotLayout.manifestKey(id)))
        await expectFailure("says it is signed by ed25519 key 0000000000000000") { try await restore(f, f.tmp.sub("t"), trusting: [signer.key.publicKey]) }
    }

    @Test func pruneRemovesTheSignatureWithItsManifest() async throws {
        let (f, id) = try await signedFixture()
        try Data("more".utf8).write(to: URL(fileURLWithPath: f.src + "/more.txt"))
        var o = CreateOptions()
        o.quiet = true
        o.signingKey = signer
        _ = try await SnapshotCreator(store: f.store, options: o).run(directory: f.src)
        _ = try await SnapshotPruner(store: f.store, keepLast: 1, dryRun: false, grace: 0).run(log: { _ in })
        #expect(!FileManager.default.fileExists(atPath: f.storeRoot + "/" + SnapshotLayout.manifestKey(id)))
        #expect(!FileManager.default.fileExists(atPath: f.storeRoot + "/" + SnapshotLayout.signatureKey(id)))
        #expect(try await SnapshotCatalog(store: f.store).ids().count == 1)
    }
}
