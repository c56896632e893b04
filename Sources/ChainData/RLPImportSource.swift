import NodeRPC
import SnapshotCore
import Stores

/// Which export `rlp import` reads: a bundle (`--from STORE --network NAME`) or a legacy
/// byte-split export (`--base-url URL --file NAME [--parts aa,ab,…]`) — the two sources
/// `node supervise` imports from, so one enum (NodeRPC's, which cannot import this module).
public typealias RLPImportSource = SupervisedImport.Source

extension SupervisedImport.Source {
    /// The source `rlp import`'s flags name. Flags of both layouts, or a layout missing what it
    /// needs, are `.invalidArgument` errors that say what to give.
    public static func choose(from: String?, network: String?, baseURL: String?, file: String?, parts: String?) throws -> Self {
        func bad(_ m: String) -> ChainsnapError { ChainsnapError(.invalidArgument, m) }
        if baseURL != nil || file != nil || parts != nil {
            guard let baseURL, let file else { throw bad("the legacy layout needs --base-url and --file (and --parts for a multi-part export)") }
            if from != nil { throw bad("use either --from (bundle) or --base-url/--file/--parts (legacy), not both") }
            return .legacy(baseURL: baseURL, file: file, parts: parts)
        }
        guard let from, let network else { throw bad("give --from STORE_URL and --network NAME (or the legacy --base-url/--file/--parts)") }
        return .bundle(store: from, network: network)
    }

    /// Whether this is the legacy layout (which carries no signature).
    public var isLegacy: Bool { if case .legacy = self { true } else { false } }
}

extension RLPImporter {
    /// Imports `source`, its store (the bundle's, or the legacy export's folder) opened with `open`.
    public func run(_ source: RLPImportSource, open: (String) throws -> any ObjectStore) async throws -> RLPImportReport {
        switch source {
        case .bundle(let store, let network):
            try await importBundle(from: open(store), network: network)
        case .legacy(let baseURL, let file, let parts):
            try await importLegacy(from: open(baseURL), file: file, parts: RLPImportReport.legacyParts(parts))
        }
    }
}
