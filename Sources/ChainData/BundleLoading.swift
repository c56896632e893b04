import Codecs
import SnapshotCore
import Stores

extension BundleManifest {
    /// The largest raw part an import decompresses (parts are held in memory whole).
    public static let maxPartBytes = 4 << 30

    /// Fetches and decodes the manifest of `network`. With `trustedKeys`, the stored bytes must carry a
    /// valid signature by one of them (checked before parsing), and the manifest must be that network's.
    public static func load(from store: any ObjectStore, network: String, trustedKeys: TrustedKeys?) async throws -> BundleManifest {
        let key = Self.key(network: network)
        let source = store.displayURL(for: key)
        var bytes = try await store.get(key)
        guard let trustedKeys else { return try decode(bytes, source: source) }
        var sigKey = signatureKey(network: network, manifestSHA256: SHA256Hasher.hex(bytes))
        var sig = try await store.getIfPresent(sigKey)
        if sig == nil {
            // A writer may have replaced the manifest (and its signature) between the two reads: read both again once.
            bytes = try await store.get(key)
            sigKey = signatureKey(network: network, manifestSHA256: SHA256Hasher.hex(bytes))
            sig = try await store.getIfPresent(sigKey)
        }
        let what = "bundle \(network)'s manifest"
        let keyID = try trustedKeys.verify(bytes, signature: sig, signatureKey: store.displayURL(for: sigKey), what: what)
        let m = try decode(bytes, source: source)
        try trustedKeys.checkClaim(m.signing, signedBy: keyID, what: what)
        guard m.network == network else {
            throw ChainsnapError(.untrusted, "the signed manifest at \(source) is bundle '\(m.network)', not '\(network)'", object: source,
                                 hint: "a signed manifest was copied under another network's name; do not import it")
        }
        return m
    }
}
