import ArgumentParser
import SnapshotCore
import RestoreCore
import Stores

/// The store options of every command that talks to a store, or passes store options on (to a
/// `chainsnap` subcommand it runs, or into a generated Job). Credentials are never options: they
/// come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
/// AWS_PROFILE) or from a folder of mounted Secret files (--credentials-dir).
public struct StoreFlags: ParsableArguments, Sendable {
    @Option(help: "S3 endpoint URL (MinIO, Spaces, R2, SeaweedFS…); AWS when omitted.")
    public var endpoint: String?
    @Option(help: "S3 region (default: AWS_REGION, else us-east-1).")
    public var region: String?
    @Flag(help: "Use path-style S3 addressing (endpoint/bucket/key).")
    public var pathStyle = false
    @Option(help: ArgumentHelp("Folder of mounted Secret files holding S3 credentials (access-key-id, secret-access-key[, session-token]).", valueName: "dir"))
    public var credentialsDir: String?
    @Option(help: "AWS shared-credentials profile.")
    public var profile: String?
    @Option(help: ArgumentHelp("Extra CA bundle (PEM) to trust for https:// and S3 endpoints, besides the system's.", valueName: "file"))
    public var caFile: String?
    @Flag(help: "Offer HTTP/2 over TLS (for CDNs that limit connections; HTTP/1.1 is faster otherwise).")
    public var http2 = false
    @Option(help: "Parallel connections for transfers (1-256; default: \(StoreSettings.defaultConnections)).")
    public var connections: Int?
    @Option(help: ArgumentHelp("Memory budget for buffered data (e.g. 256MiB, the default; at least 16MiB): downloads in flight and queued take at most half.", valueName: "size"))
    public var memoryLimit: String?

    public init() {}

    /// The flags as the library value that checks them and prints them back as arguments.
    public var settings: StoreSettings {
        StoreSettings(endpoint: endpoint, region: region, pathStyle: pathStyle, credentialsDir: credentialsDir, profile: profile,
                      caFile: caFile, http2: http2, connections: connections, memoryLimit: memoryLimit)
    }

    public func validate() throws { try asUsageError(settings.validate) }

    public func options() throws -> StoreOptions { try settings.options(log: { writeStderr($0 + "\n") }) }

    public func open(_ url: String) throws -> any ObjectStore { try openStore(url, options: options()) }

    /// The options that were given, as arguments for a subcommand or a generated Job (no secrets).
    public var arguments: [String] { settings.arguments }
}

/// `--from URL` or `--from-file PATH` (a mounted Secret holding the URL, kept off the command line).
public struct SourceFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Store URL (file://, s3://, https://) or an archive URL (.tar.zst, .tar.lz4, .tar.gz, .tar) to restore from.", valueName: "url"))
    public var from: String?
    @Option(help: ArgumentHelp("Read the --from URL from this file instead (a mounted Secret holding a presigned URL), keeping it off the command line.", valueName: "path"))
    public var fromFile: String?

    public init() {}

    public func validate() throws {
        if from != nil && fromFile != nil { throw ValidationError("give either --from or --from-file, not both") }
    }

    /// Whether a source was given.
    public var isGiven: Bool { from != nil || fromFile != nil }

    /// The source as arguments for a subcommand (the file path, never the URL it holds).
    public var arguments: [String] {
        if let from { return ["--from", from] }
        if let fromFile { return ["--from-file", fromFile] }
        return []
    }

    /// The URL: `--from`, or the content of `--from-file` read like any mounted Secret value.
    public func url() throws -> String {
        if let from { return from }
        guard let path = fromFile else { throw ValidationError("give --from URL (or --from-file PATH holding the URL)") }
        return try CredentialResolver.readURLFile(path)
    }
}

/// The node's network, checked against what a snapshot recorded (`snapshot restore`, and
/// `node prepare-data`, which passes them on).
public struct NetworkCheckFlags: ParsableArguments, Sendable {
    @Option(help: "Refuse a snapshot recorded from another network (the node's network name, e.g. mainnet).") public var network: String?
    @Option(help: "Refuse a snapshot recorded with another chain id.") public var chainId: String?
    @Flag(help: "Restore even when the snapshot's network or chain id differs from --network/--chain-id.") public var allowOtherNetwork = false

    public init() {}
}
