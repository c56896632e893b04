import ArgumentParser
import Stores

/// `--signing-key FILE` of the publishing commands (snapshot create, rlp split, rlp export).
/// The key is read from a file (a mounted Secret), never taken as an argument value.
public struct SigningFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp(
        "Sign the manifest with the Ed25519 private key in this file (PKCS#8 PEM, e.g. a mounted Secret; see 'chainsnap keys generate'). Default: the file $\(SigningKey.environmentVariable) names; else unsigned.",
        valueName: "file"))
    public var signingKey: String?

    public init() {}

    public func load() throws -> SigningKey? { try SigningKey.resolve(flag: signingKey) }
}

/// `--trusted-keys FILE|DIR` of the consuming commands (snapshot restore/verify, rlp import, node prepare-data).
public struct TrustFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp(
        "Require manifests signed by one of these Ed25519 public keys: a PEM file (several keys allowed) or a folder of them (a mounted ConfigMap). Unsigned manifests, unknown keys and wrong signatures are refused.",
        valueName: "file|dir"))
    public var trustedKeys: String?

    public init() {}

    public func load() throws -> TrustedKeys? { try trustedKeys.map { try TrustedKeys.load($0) } }
}
