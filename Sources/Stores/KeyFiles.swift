import Codecs
import Foundation
import LocalFS
import SnapshotCore

/// `chainsnap keys`: writing a new signing key pair and saying which keys a file holds.
public enum KeyFiles {
    /// Writes a new Ed25519 key pair into `dir` (created if missing): `NAME.key` (PKCS#8 PEM,
    /// mode 0600) and `NAME.pub` (mode 0644). Existing files are never overwritten: when either
    /// exists nothing is written and the error says so. Returns the two paths and the key id.
    public static func generate(into dir: String, name: String) throws -> (keyPath: String, pubPath: String, keyID: String) {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keyPath = dir + "/" + name + ".key", pubPath = dir + "/" + name + ".pub"
        for p in [keyPath, pubPath] where fm.fileExists(atPath: p) {
            throw ChainsnapError(.invalidArgument, "'\(p)' already exists; not overwriting a key", object: p,
                                 hint: "choose another --out or --name")
        }
        let key = try Ed25519PrivateKey.generate()
        try FS.createExclusive(keyPath, bytes: Array(try key.pkcs8PEM().utf8), mode: 0o600)
        try FS.createExclusive(pubPath, bytes: Array(key.publicKey.pem.utf8), mode: 0o644)
        return (keyPath, pubPath, key.publicKey.keyID)
    }

    /// One line per key in `path`: `KEYID  ed25519 private key PATH` for a private key file, else
    /// `KEYID  ed25519 public key` for each public key of a file or folder (sorted by id).
    public static func describe(_ path: String) throws -> [String] {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("PRIVATE KEY-----") {
            return ["\(try SigningKey.load(path: path).keyID)  ed25519 private key \(path)"]
        }
        return try TrustedKeys.load(path).keys.keys.sorted().map { "\($0)  ed25519 public key" }
    }
}
