/// Who signed a manifest: recorded inside the signed bytes, so the signature also covers the
/// claim of which key made it. The signature itself is a separate object (docs/FORMAT.md, "Signatures").
public struct SigningInfo: Codable, Sendable, Equatable {
    /// Always `ed25519`.
    public var algorithm: String
    /// 16 lowercase hex digits: the first 8 bytes of SHA-256 over the 32-byte raw public key.
    public var keyId: String

    public init(algorithm: String = "ed25519", keyId: String) {
        self.algorithm = algorithm
        self.keyId = keyId
    }
}
