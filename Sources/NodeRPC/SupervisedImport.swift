import SnapshotCore

/// What `node supervise` imports once the node is healthy: an RLP bundle from a store, or a
/// legacy byte-split export (the seed chart's `bootstrap.rlpImport`), run as `chainsnap rlp
/// import …` with the same skip, resume and head checks either way.
public struct SupervisedImport: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// `--import-from STORE --network NAME`.
        case bundle(store: String, network: String)
        /// `--import-base-url URL --import-file NAME [--import-parts aa,ab,…]`.
        case legacy(baseURL: String, file: String, parts: String?)
    }

    public var source: Source
    /// Where parts are downloaded (a folder the node can read).
    public var workDir: String
    public var minHeight: UInt64?
    /// Seconds for the whole import (rounded up to whole seconds for `rlp import --timeout`).
    public var timeout: Double?

    public init(source: Source, workDir: String, minHeight: UInt64? = nil, timeout: Double? = nil) {
        self.source = source
        self.workDir = workDir
        self.minHeight = minHeight
        self.timeout = timeout
    }

    /// The import the `node supervise` options ask for, or nil for none. Options that do not go
    /// together, or an import missing what it needs, are `.invalidArgument` errors naming them.
    public static func from(importFrom: String?, baseURL: String?, file: String?, parts: String?, network: String?,
                            workDir: String?, minHeight: UInt64?, timeout: Double?) throws -> SupervisedImport? {
        func bad(_ m: String) -> ChainsnapError { ChainsnapError(.invalidArgument, m) }
        if importFrom != nil && baseURL != nil {
            throw bad("give --import-from (a bundle) or --import-base-url (a legacy export), not both")
        }
        if (file != nil || parts != nil) && baseURL == nil {
            throw bad("--import-file and --import-parts only apply with --import-base-url")
        }
        if let importFrom {
            guard let network, let workDir else { throw bad("--import-from needs --network and --work-dir") }
            return SupervisedImport(source: .bundle(store: importFrom, network: network), workDir: workDir, minHeight: minHeight, timeout: timeout)
        }
        if let baseURL {
            guard let file, let workDir else { throw bad("--import-base-url needs --import-file and --work-dir") }
            return SupervisedImport(source: .legacy(baseURL: baseURL, file: file, parts: parts), workDir: workDir, minHeight: minHeight, timeout: timeout)
        }
        if network != nil || workDir != nil || minHeight != nil || timeout != nil {
            throw bad("--network, --work-dir, --min-height and --import-timeout only apply with --import-from or --import-base-url")
        }
        return nil
    }

    /// The `chainsnap rlp import …` arguments against the node at `rpc`, then `storeArguments`.
    public func arguments(rpc: String, storeArguments: [String]) -> [String] {
        var a = ["rlp", "import", "--rpc", rpc]
        switch source {
        case .bundle(let store, let network):
            a += ["--from", store, "--network", network, "--work-dir", workDir]
        case .legacy(let baseURL, let file, let parts):
            a += ["--base-url", baseURL, "--file", file, "--work-dir", workDir]
            if let parts { a += ["--parts", parts] }
        }
        if let minHeight { a += ["--min-height", String(minHeight)] }
        if let timeout { a += ["--timeout", String(Int(timeout.rounded(.up)))] }
        return a + storeArguments
    }
}
