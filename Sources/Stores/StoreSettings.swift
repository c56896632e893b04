import SnapshotCore

/// The store options as a command line gives them (each one optional), before defaults: what
/// every command that talks to a store accepts, the rules they obey, and how they are passed
/// on — as `StoreOptions` to open a store, or back as arguments to a `chainsnap` subcommand or a
/// generated Job. Credentials are never settings: they come from the environment or a folder
/// of mounted Secret files (`credentialsDir`).
public struct StoreSettings: Sendable, Equatable {
    public static let defaultConnections = 16
    public static let defaultMemoryLimit = "256MiB"
    /// The smallest memory budget accepted (16 MiB).
    public static let minimumMemoryLimit: Int64 = 16 << 20

    public var endpoint: String?
    public var region: String?
    public var pathStyle = false
    public var credentialsDir: String?
    public var profile: String?
    public var caFile: String?
    public var http2 = false
    public var connections: Int?
    /// `--memory-limit` as given (e.g. `512MiB`).
    public var memoryLimit: String?

    public init(endpoint: String? = nil, region: String? = nil, pathStyle: Bool = false, credentialsDir: String? = nil,
                profile: String? = nil, caFile: String? = nil, http2: Bool = false, connections: Int? = nil, memoryLimit: String? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.credentialsDir = credentialsDir
        self.profile = profile
        self.caFile = caFile
        self.http2 = http2
        self.connections = connections
        self.memoryLimit = memoryLimit
    }

    /// Connections 1-256; a memory limit that is a size of at least 16 MiB. Errors are
    /// `.invalidArgument` naming the option.
    public func validate() throws {
        if let connections, !(1...256).contains(connections) {
            throw ChainsnapError(.invalidArgument, "--connections must be between 1 and 256")
        }
        let mem = try ByteCount.parseOption("--memory-limit", memoryLimit ?? Self.defaultMemoryLimit)
        guard mem >= Self.minimumMemoryLimit else { throw ChainsnapError(.invalidArgument, "--memory-limit must be at least 16MiB") }
    }

    /// The options a store is opened with: the defaults filled in, `log` for credential messages.
    public func options(log: (@Sendable (String) -> Void)? = nil) throws -> StoreOptions {
        StoreOptions(endpoint: endpoint, region: region, pathStyle: pathStyle ? true : nil,
                     credentialsDir: credentialsDir, profile: profile, caFile: caFile,
                     connections: connections ?? Self.defaultConnections,
                     memoryLimit: try ByteCount.parse(memoryLimit ?? Self.defaultMemoryLimit),
                     http2: http2, log: log)
    }

    /// The settings that were given, as command-line arguments in a fixed order: for the
    /// `chainsnap` subcommand a `node` command runs, or a generated Job. Holds no secrets
    /// (none are settings); a Job adds its own `--credentials-dir`.
    public var arguments: [String] {
        var a: [String] = []
        if let endpoint { a += ["--endpoint", endpoint] }
        if let region { a += ["--region", region] }
        if pathStyle { a.append("--path-style") }
        if let credentialsDir { a += ["--credentials-dir", credentialsDir] }
        if let profile { a += ["--profile", profile] }
        if let caFile { a += ["--ca-file", caFile] }
        if http2 { a.append("--http2") }
        if let connections { a += ["--connections", String(connections)] }
        if let memoryLimit { a += ["--memory-limit", memoryLimit] }
        return a
    }
}

extension CredentialResolver {
    /// The URL held in the file `--from-file` names (a mounted Secret holding a presigned URL),
    /// read like any secret value; a missing or empty file is an `.invalidArgument` error.
    public static func readURLFile(_ path: String) throws -> String {
        guard let url = readSecretFile(path) else {
            throw ChainsnapError(.invalidArgument, "cannot read --from-file '\(path)', or it is empty",
                                 hint: "mount the Secret holding the store or archive URL there, readable by this user")
        }
        return url
    }
}
