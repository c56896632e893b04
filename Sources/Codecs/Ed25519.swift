internal import CCrypto
import SnapshotCore

/// Funnels OpenSSL's 1-is-success return values into `ChainsnapError`, with the library's
/// own reason (the error queue is drained so a later call does not report a stale reason).
@inline(__always)
func opensslCheck(_ ok: Bool, _ what: String, code: ChainsnapError.Code = .codec) throws {
    guard !ok else { return }
    throw ChainsnapError(code, "\(what) failed: \(opensslReason())")
}

/// The most recent OpenSSL error reason, emptying the error queue.
func opensslReason() -> String {
    var reason = "unknown reason"
    var e = ERR_get_error()
    var first = true
    while e != 0 {
        if first, let s = ERR_reason_error_string(e) { reason = String(cString: s) }
        first = false
        e = ERR_get_error()
    }
    return reason
}

/// An Ed25519 public key (RFC 8032), the kind `--trusted-keys` holds.
///
/// Its key id is the lowercase hex of the first 8 bytes of SHA-256 over the 32-byte raw
/// public key (docs/FORMAT.md, "Signatures"); manifests and signature objects name keys by it.
public struct Ed25519PublicKey: Sendable, Hashable {
    /// The 32 raw key bytes.
    public let raw: [UInt8]

    public init(raw: [UInt8]) throws {
        guard raw.count == 32 else {
            throw ChainsnapError(.invalidArgument, "an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        self.raw = raw
    }

    /// `keyId`: hex of the first 8 bytes of SHA-256(raw).
    public var keyID: String { Hex.encode(Array(SHA256Hasher.digest(raw).prefix(8))) }

    /// Every Ed25519 public key in a PEM text (`-----BEGIN PUBLIC KEY-----` blocks, SubjectPublicKeyInfo,
    /// what `openssl pkey -pubout` writes). Throws when a block is not an Ed25519 public key.
    public static func parsePEM(_ text: String, source: String) throws -> [Ed25519PublicKey] {
        var keys: [Ed25519PublicKey] = []
        let blocks = PEMBlocks.split(text)
        guard !blocks.isEmpty else {
            throw ChainsnapError(.invalidArgument, "\(source) holds no PEM block",
                                 hint: "trusted keys are PEM public keys ('-----BEGIN PUBLIC KEY-----'), as 'chainsnap keys generate' writes")
        }
        for b in blocks {
            guard b.label == "PUBLIC KEY" else {
                throw ChainsnapError(.invalidArgument, "\(source) holds a '\(b.label)' PEM block, not a PUBLIC KEY",
                                     hint: b.label.contains("PRIVATE") ? "give the public half (.pub); private keys belong only to the signer" : "give Ed25519 public keys in PEM")
            }
            let pkey = try b.text.withCString { s -> OpaquePointer in
                guard let bio = BIO_new_mem_buf(s, -1) else { throw ChainsnapError(.codec, "BIO_new_mem_buf: out of memory") }
                defer { BIO_free(bio) }
                guard let k = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
                    throw ChainsnapError(.invalidArgument, "\(source): a PUBLIC KEY block cannot be read: \(opensslReason())")
                }
                return k
            }
            defer { EVP_PKEY_free(pkey) }
            guard EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519 else {
                throw ChainsnapError(.invalidArgument, "\(source) holds a public key that is not Ed25519",
                                     hint: "chainsnap signs with Ed25519 keys; make one with 'chainsnap keys generate' or 'openssl genpkey -algorithm ed25519'")
            }
            keys.append(try Ed25519PublicKey(raw: rawPublicKey(pkey)))
        }
        return keys
    }

    /// The SubjectPublicKeyInfo PEM text.
    public var pem: String {
        let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        return PEMBlocks.encode(label: "PUBLIC KEY", der: spkiPrefix + raw)
    }

    /// Whether `signature` is this key's Ed25519 signature over exactly `message`.
    public func verify(signature: [UInt8], message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == 64 else { return false }
        guard let pkey = raw.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else {
            _ = opensslReason()
            return false
        }
        defer { EVP_PKEY_free(pkey) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, pkey) == 1 else { _ = opensslReason(); return false }
        let r = signature.withUnsafeBufferPointer { s in
            EVP_DigestVerify(ctx, s.baseAddress, 64, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        }
        if r != 1 { _ = opensslReason() }
        return r == 1
    }

    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify(signature: signature, message: $0) }
    }
}

/// An Ed25519 private key. A final class owns the `EVP_PKEY`; `deinit` frees it.
/// Never printed: `description` names only the key id.
public final class Ed25519PrivateKey: @unchecked Sendable, CustomStringConvertible {
    // Immutable after init; OpenSSL 3 allows concurrent signing with one EVP_PKEY and separate contexts.
    private let pkey: OpaquePointer
    public let publicKey: Ed25519PublicKey

    private init(owning pkey: OpaquePointer) throws {
        do {
            let pub = try Ed25519PublicKey(raw: rawPublicKey(pkey))
            self.pkey = pkey
            self.publicKey = pub
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
    }

    deinit { EVP_PKEY_free(pkey) }

    public var description: String { "Ed25519 private key \(publicKey.keyID)" }

    /// A new random key (OpenSSL's CSPRNG).
    public static func generate() throws -> Ed25519PrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw ChainsnapError(.codec, "EVP_PKEY_CTX_new_id: \(opensslReason())") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try opensslCheck(EVP_PKEY_keygen_init(ctx) == 1, "Ed25519 key generation")
        var k: OpaquePointer?
        try opensslCheck(EVP_PKEY_keygen(ctx, &k) == 1 && k != nil, "Ed25519 key generation")
        return try Ed25519PrivateKey(owning: k!)
    }

    /// Reads an unencrypted PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`, what
    /// `chainsnap keys generate` and `openssl genpkey -algorithm ed25519` write).
    /// `source` names the file in errors; the key itself never appears in one.
    public convenience init(pem text: String, source: String) throws {
        let blocks = PEMBlocks.split(text)
        guard let b = blocks.first, blocks.count == 1 else {
            throw ChainsnapError(.invalidArgument, "signing key \(source) must hold exactly one PEM block, it holds \(blocks.count)",
                                 hint: "give the private key file 'chainsnap keys generate' wrote (NAME.key)")
        }
        guard b.label == "PRIVATE KEY" else {
            throw ChainsnapError(.invalidArgument, "signing key \(source) is a '\(b.label)' PEM block, not an unencrypted PKCS#8 PRIVATE KEY",
                                 hint: b.label == "ENCRYPTED PRIVATE KEY" ? "store the key unencrypted in a Secret mounted read-only (chainsnap cannot prompt for a passphrase)"
                                     : "give the private key file 'chainsnap keys generate' wrote (NAME.key)")
        }
        let pkey = try b.text.withCString { s -> OpaquePointer in
            guard let bio = BIO_new_mem_buf(s, -1) else { throw ChainsnapError(.codec, "BIO_new_mem_buf: out of memory") }
            defer { BIO_free(bio) }
            // A callback that declines: OpenSSL must never prompt on a terminal for a passphrase.
            guard let k = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
                throw ChainsnapError(.invalidArgument, "signing key \(source) cannot be read: \(opensslReason())")
            }
            return k
        }
        guard EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(pkey)
            throw ChainsnapError(.invalidArgument, "signing key \(source) is not an Ed25519 key",
                                 hint: "make one with 'chainsnap keys generate' or 'openssl genpkey -algorithm ed25519'")
        }
        try self.init(owning: pkey)
    }

    /// The unencrypted PKCS#8 PEM text of this key (for `keys generate`; write it with mode 0600).
    public func pkcs8PEM() throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw ChainsnapError(.codec, "BIO_new: out of memory") }
        defer { BIO_free(bio) }
        try opensslCheck(PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1, "writing the private key")
        let n = BIO_ctrl_pending(bio)
        var out = [UInt8](repeating: 0, count: n)
        let got = out.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(n)) }
        guard got == Int32(n) else { throw ChainsnapError(.codec, "reading the private key PEM back failed") }
        defer { for i in out.indices { out[i] = 0 } }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 64-byte Ed25519 signature of exactly `message` (no pre-hash: PureEdDSA).
    public func sign(_ message: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw ChainsnapError(.codec, "EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        try opensslCheck(EVP_DigestSignInit(ctx, nil, nil, nil, pkey) == 1, "Ed25519 signing")
        var sig = [UInt8](repeating: 0, count: 64)
        var len = 64
        let r = sig.withUnsafeMutableBufferPointer { s in
            EVP_DigestSign(ctx, s.baseAddress, &len, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        }
        try opensslCheck(r == 1 && len == 64, "Ed25519 signing")
        return sig
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { try message.withUnsafeBytes { try sign($0) } }
}

private func rawPublicKey(_ pkey: OpaquePointer) throws -> [UInt8] {
    var raw = [UInt8](repeating: 0, count: 32)
    var len = 32
    let ok = raw.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(pkey, $0.baseAddress, &len) }
    try opensslCheck(ok == 1 && len == 32, "reading the Ed25519 public key")
    return raw
}

