import ArgumentParser
import CommandOptions
import RestoreCore
import Stores

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
            let (keyPath, pubPath, keyID) = try KeyFiles.generate(into: out, name: name)
            writeStderr("wrote \(keyPath) (private, mode 0600) and \(pubPath) (public)\n")
            print(keyID)
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
        try await reportingErrors { try KeyFiles.describe(path).forEach { print($0) } }
    }
}
