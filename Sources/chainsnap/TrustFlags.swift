import ArgumentParser
import Codecs
import Foundation
import RestoreCore
import SnapshotCore
import Snapshots
import Stores

/// `--signing-key FILE` of the publishing commands (snapshot create, rlp split, rlp export).
/// The key is read from a file (a mounted Secret), never taken as an argument value.
struct SigningFlags: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Sign the manifest with the Ed25519 private key in this file (PKCS#8 PEM, e.g. a mounted Secret; see 'chainsnap keys generate'). Default: the file $\(SigningKey.environmentVariable) names; else unsigned.",
        valueName: "file"))
    var signingKey: String?

    func load() throws -> SigningKey? { try SigningKey.resolve(flag: signingKey) }
}

/// `--trusted-keys FILE|DIR` of the consuming commands (snapshot restore/verify, rlp import, node prepare-data).
struct TrustFlags: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Require manifests signed by one of these Ed25519 public keys: a PEM file (several keys allowed) or a folder of them (a mounted ConfigMap). Unsigned manifests, unknown keys and wrong signatures are refused.",
        valueName: "file|dir"))
    var trustedKeys: String?

    func load() throws -> TrustedKeys? { try trustedKeys.map { try TrustedKeys.load($0) } }
}

/// `chainsnap keys …`: signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make and inspect the Ed25519 keys that sign snapshots and bundles.",
        subcommands: [KeysGenerate.self, KeysShow.self]
    )
}

/// `chainsnap keys generate --out DIR [--name NAME]`.
struct KeysGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a new Ed25519 key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pub (public); prints the key id.",
        discussion: """
            Keep NAME.key in a Secret mounted into the publishing jobs (--signing-key); give NAME.pub to \
            every restore (--trusted-keys, e.g. from a ConfigMap). To rotate: add the new .pub to the \
            trusted keys, switch the publisher to the new key, then drop the old .pub. Existing files are never overwritten.
            """)

    @Option(help: ArgumentHelp("Folder to write the key pair into (created if missing).", valueName: "dir"))
    var out: String
    @Option(help: ArgumentHelp("Base name of the two files.", valueName: "name"))
    var name: String = "chainsnap-signing"

    func validate() throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw ValidationError("--name must be a plain file name (no '/', not starting with '.')")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let fm = FileManager.default
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
            let keyPath = out + "/" + name + ".key", pubPath = out + "/" + name + ".pub"
            for p in [keyPath, pubPath] where fm.fileExists(atPath: p) {
                throw ChainsnapError(.invalidArgument, "'\(p)' already exists; not overwriting a key", object: p,
                                     hint: "choose another --out or --name")
            }
            let key = try Ed25519PrivateKey.generate()
            try writeExclusive(keyPath, Array(try key.pkcs8PEM().utf8), mode: 0o600)
            try writeExclusive(pubPath, Array(key.publicKey.pem.utf8), mode: 0o644)
            writeStderr("wrote \(keyPath) (private, mode 0600) and \(pubPath) (public)\n")
            print(key.publicKey.keyID)
        }
    }

    /// Creates `path` with `mode` (O_EXCL: never replaces a file) and writes `bytes` to it.
    func writeExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ChainsnapError(.io, "cannot create '\(path)': \(String(cString: strerror(errno)))", object: path) }
        defer { close(fd) }
        _ = fchmod(fd, mode)  // the umask does not loosen or tighten what was asked for
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count, fsync(fd) == 0 else {
            throw ChainsnapError(.io, "cannot write '\(path)': \(String(cString: strerror(errno)))", object: path)
        }
    }
}

/// `chainsnap keys show FILE`: the key ids of a public or private key file.
struct KeysShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the key id of each key in a PEM file (public keys, or a private key) or folder of them.")

    @Argument(help: ArgumentHelp("A .pub or .key file, or a folder of .pub files.", valueName: "file|dir"))
    var path: String

    func run() async throws {
        try await reportingErrors {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("PRIVATE KEY-----") {
                let k = try SigningKey.load(path: path)
                print("\(k.keyID)  ed25519 private key \(path)")
                return
            }
            for id in try TrustedKeys.load(path).keys.keys.sorted() { print("\(id)  ed25519 public key") }
        }
    }
}
