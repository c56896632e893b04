import Foundation
import Codecs
import SnapshotCore

extension ChainsnapError.Code {
    /// A signature is missing, made by a key not trusted, or does not match the signed bytes.
    public static let untrusted = ChainsnapError.Code("untrusted")
}

/// The detached signature object stored beside a manifest (docs/FORMAT.md, "Signatures").
///
/// The signature is Ed25519 (RFC 8032, PureEdDSA) over the signed object's bytes exactly as
/// stored — for a snapshot the zstd-compressed manifest object, for a bundle `manifest.json` —
/// so verifying never re-serialises anything.
public struct SignatureDocument: Codable, Sendable, Equatable {
    public static let formatName = "chainsnap-signature"
    public static let currentVersion = 1
    /// Signature objects are tiny; a bigger one is refused before it is parsed.
    public static let maxBytes = 64 << 10

    public var format: String
    public var version: Int
    public var algorithm: String
    public var keyId: String
    /// The store key of the signed object, relative to the store's prefix (informational).
    public var object: String
    /// Lowercase hex SHA-256 of the signed bytes (lets a reader say "the manifest changed").
    public var sha256: String
    /// The 64-byte signature, standard base64.
    public var signature: String

    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try e.encode(self)) + [10]
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> SignatureDocument {
        guard bytes.count <= maxBytes else {
            throw ChainsnapError(.untrusted, "signature object \(source) is \(bytes.count) bytes, more than a signature can be", object: source)
        }
        let d: SignatureDocument
        do { d = try JSONDecoder().decode(SignatureDocument.self, from: Data(bytes)) } catch {
            throw ChainsnapError(.untrusted, "signature object \(source) cannot be read", object: source,
                                 hint: "it is damaged or not a chainsnap signature; re-sign the manifest", underlying: error)
        }
        guard d.format == formatName, d.version >= 1, d.version <= currentVersion else {
            throw ChainsnapError(.unsupportedFormat, "\(source) is a '\(d.format)' version \(d.version) document; this chainsnap reads \(formatName) version \(currentVersion)",
                                 object: source, hint: "upgrade chainsnap")
        }
        guard d.algorithm == "ed25519" else {
            throw ChainsnapError(.unsupportedFormat, "\(source) uses signature algorithm '\(d.algorithm)'; this chainsnap verifies ed25519", object: source)
        }
        return d
    }
}

/// The private key a publisher signs with, read from a file (a mounted Secret), never from an argument.
public struct SigningKey: Sendable {
    /// Environment variable naming the key file when `--signing-key` is not given.
    public static let environmentVariable = "CHAINSNAP_SIGNING_KEY_FILE"

    public let key: Ed25519PrivateKey
    public let source: String
    public var keyID: String { key.publicKey.keyID }
    public var info: SigningInfo { SigningInfo(keyId: keyID) }

    public init(key: Ed25519PrivateKey, source: String) {
        self.key = key
        self.source = source
    }

    /// Reads the PKCS#8 PEM key at `path`.
    public static func load(path: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChainsnapError(.invalidArgument, "cannot read signing key file '\(path)'", object: path,
                                 hint: "mount the Secret holding the key there (readable by this user), or make one with 'chainsnap keys generate'")
        }
        guard data.count <= 16 << 10 else {
            throw ChainsnapError(.invalidArgument, "signing key file '\(path)' is \(data.count) bytes: not a PEM private key", object: path)
        }
        return SigningKey(key: try Ed25519PrivateKey(pem: String(decoding: data, as: UTF8.self), source: "'\(path)'"), source: path)
    }

    /// `--signing-key PATH`, else the file `CHAINSNAP_SIGNING_KEY_FILE` names, else nil (unsigned).
    public static func resolve(flag: String?, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> SigningKey? {
        if let flag { return try load(path: flag) }
        if let p = env[environmentVariable], !p.isEmpty { return try load(path: p) }
        return nil
    }

    /// The signature object for `bytes`, stored under `object`.
    public func sign(_ bytes: [UInt8], object: String) throws -> [UInt8] {
        let sig = try key.sign(bytes)
        return try SignatureDocument(format: SignatureDocument.formatName, version: SignatureDocument.currentVersion,
                                     algorithm: "ed25519", keyId: keyID, object: object,
                                     sha256: SHA256Hasher.hex(bytes), signature: Base64.encode(sig)).encoded()
    }
}

/// The public keys a restore accepts signatures from (`--trusted-keys FILE|DIR`). Several keys
/// may be trusted at once, so a publisher can rotate: trust old and new, switch, drop the old.
public struct TrustedKeys: Sendable {
    public let keys: [String: Ed25519PublicKey]
    /// The file or folder they came from (for messages).
    public let source: String

    public init(keys: [Ed25519PublicKey], source: String) {
        var m: [String: Ed25519PublicKey] = [:]
        for k in keys { m[k.keyID] = k }
        self.keys = m
        self.source = source
    }

    /// Loads every PEM public key in a file (several blocks allowed), or in every regular file of a
    /// folder (a mounted ConfigMap or Secret: names starting with `.` are Kubernetes' own and skipped).
    public static func load(_ path: String) throws -> TrustedKeys {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ChainsnapError(.invalidArgument, "--trusted-keys '\(path)' does not exist", object: path,
                                 hint: "give a PEM file of public keys or a folder of them (a mounted ConfigMap)")
        }
        var files: [String] = []
        if isDir.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
            for n in names {
                var d: ObjCBool = false
                let full = path + "/" + n
                if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue { files.append(full) }
            }
        } else {
            files = [path]
        }
        var keys: [Ed25519PublicKey] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else {
                throw ChainsnapError(.invalidArgument, "cannot read trusted key file '\(f)'", object: f)
            }
            guard data.count <= 1 << 20 else {
                throw ChainsnapError(.invalidArgument, "trusted key file '\(f)' is \(data.count) bytes: not a list of public keys", object: f)
            }
            keys += try Ed25519PublicKey.parsePEM(String(decoding: data, as: UTF8.self), source: "trusted key file '\(f)'")
        }
        guard !keys.isEmpty else {
            throw ChainsnapError(.invalidArgument, "--trusted-keys '\(path)' holds no public keys", object: path,
                                 hint: "put the signer's NAME.pub (from 'chainsnap keys generate') there")
        }
        return TrustedKeys(keys: keys, source: path)
    }

    public var idList: String { keys.keys.sorted().joined(separator: ", ") }

    /// Checks that `signatureBytes` (nil: no signature object) is a trusted key's valid signature
    /// over exactly `bytes`, and that the signed document names the same key (`declared`).
    /// Returns the key id. `what` names the signed thing ("snapshot X's manifest").
    @discardableResult
    public func verify(_ bytes: [UInt8], signature signatureBytes: [UInt8]?, signatureKey: String, what: String) throws -> String {
        guard let signatureBytes else {
            throw ChainsnapError(.untrusted, "\(what) is not signed (there is no \(signatureKey)), and --trusted-keys requires a signature",
                                 object: signatureKey,
                                 hint: "publish it with --signing-key (snapshot create, rlp split/export); restore without --trusted-keys only if you trust the store itself")
        }
        let doc = try SignatureDocument.decode(signatureBytes, source: signatureKey)
        guard let key = keys[doc.keyId] else {
            throw ChainsnapError(.untrusted, "\(what) is signed by key \(doc.keyId), which is not among the trusted keys (\(idList)) in \(source)",
                                 object: signatureKey,
                                 hint: "if that key is the publisher's new key, add its .pub to --trusted-keys; otherwise do not use this data")
        }
        guard let sig = Base64.decode(doc.signature), sig.count == 64 else {
            throw ChainsnapError(.untrusted, "the signature in \(signatureKey) is not 64 bytes of base64", object: signatureKey,
                                 hint: "the signature object is damaged; re-sign, or do not use this data")
        }
        guard key.verify(signature: sig, message: bytes) else {
            let changed = SHA256Hasher.hex(bytes) != doc.sha256.lowercased()
            throw ChainsnapError(.untrusted,
                                 "\(what) does not match its signature by key \(doc.keyId)" + (changed ? ": its bytes changed after signing (SHA-256 differs from the signed one)" : ""),
                                 object: signatureKey,
                                 hint: "the data or its signature was altered; do not use it — restore another snapshot or re-publish from a trusted source")
        }
        return doc.keyId
    }

    /// The manifest's own `signing` claim must name the key that signed it (a signature by one
    /// trusted key over a manifest claiming another is refused).
    public func checkClaim(_ claim: SigningInfo?, signedBy keyID: String, what: String) throws {
        guard let claim else { return }
        guard claim.keyId == keyID, claim.algorithm == "ed25519" else {
            throw ChainsnapError(.untrusted, "\(what) says it is signed by \(claim.algorithm) key \(claim.keyId), but its signature is by \(keyID)",
                                 hint: "the manifest and its signature do not belong together; do not use this data")
        }
    }
}

extension ObjectStore {
    /// The object's bytes, or nil when it does not exist.
    public func getIfPresent(_ key: String) async throws -> [UInt8]? {
        do { return try await get(key) } catch let e as ChainsnapError where e.code == .notFound { return nil }
    }
}
