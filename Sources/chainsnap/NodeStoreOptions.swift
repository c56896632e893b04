import ArgumentParser

/// The store options of `snapshot`/`rlp` commands, taken by `node` commands only to pass
/// them on unchanged to the `chainsnap` subcommand they run. Credentials are never options:
/// they come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a mounted Secret folder.
struct NodePassthroughStoreOptions: ParsableArguments {
    @Option(help: "S3-compatible endpoint URL (passed on to the store).")
    var endpoint: String?
    @Option(help: "S3 region (passed on to the store).")
    var region: String?
    @Flag(help: "Path-style S3 addressing (passed on to the store).")
    var pathStyle = false
    @Option(help: ArgumentHelp("Folder of a mounted Secret holding the store credentials.", valueName: "dir"))
    var credentialsDir: String?
    @Option(help: ArgumentHelp("CA bundle for the store's TLS.", valueName: "file"))
    var caFile: String?
    @Option(help: "Parallel connections to the store.")
    var connections: Int?
    @Option(help: ArgumentHelp("Memory bound for the transfer, e.g. 512MiB.", valueName: "size"))
    var memoryLimit: String?

    /// The same options as command-line arguments, in a fixed order.
    var arguments: [String] {
        var a: [String] = []
        if let endpoint { a += ["--endpoint", endpoint] }
        if let region { a += ["--region", region] }
        if pathStyle { a.append("--path-style") }
        if let credentialsDir { a += ["--credentials-dir", credentialsDir] }
        if let caFile { a += ["--ca-file", caFile] }
        if let connections { a += ["--connections", String(connections)] }
        if let memoryLimit { a += ["--memory-limit", memoryLimit] }
        return a
    }
}
