import SnapshotCore
import Stores

/// The RLP bundles in a store: `rlp/NAME/manifest.json` for each bundle NAME.
public enum BundleCatalog {
    /// The names of the bundles in `store`, in listing order. Throws `.notFound` when there are none.
    public static func networks(in store: any ObjectStore) async throws -> [String] {
        var names: [String] = []
        for o in try await store.list(prefix: "rlp/") where o.key.hasSuffix("/manifest.json") {
            let parts = o.key.split(separator: "/")
            if parts.count == 3 { names.append(String(parts[1])) }
        }
        if names.isEmpty {
            throw ChainsnapError(.notFound, "no RLP bundles in \(store.displayURL)", hint: "publish one with `chainsnap rlp split` or `rlp export`")
        }
        return names
    }

    /// The manifest of bundle `network` (the name checked first).
    public static func load(_ network: String, from store: any ObjectStore) async throws -> BundleManifest {
        try BundleManifest.checkNetworkName(network)
        let key = BundleManifest.key(network: network)
        let bytes: [UInt8]
        do { bytes = try await store.get(key) } catch let e as ChainsnapError where e.code == .notFound {
            throw ChainsnapError(.notFound, "no RLP bundle '\(network)' in \(store.displayURL) (no \(key)); \(await available(in: store))",
                                 object: key, hint: "pass one of those names (--network), or check the store URL")
        }
        return try BundleManifest.decode(bytes, source: store.displayURL(for: key))
    }

    /// What the store has, for an error message: its bundle names, or why they cannot be listed.
    static func available(in store: any ObjectStore) async -> String {
        do {
            let names = try await networks(in: store)
            return "it has: \(names.joined(separator: ", "))"
        } catch let e as ChainsnapError where e.code == .notFound {
            return "it has no bundles"
        } catch {
            return "its bundles cannot be listed (an HTTP mirror without a JSON folder index?)"
        }
    }

    /// `rlp index`: each bundle (`network`, else every bundle in the store, in the catalog's order),
    /// handed to `out` line by line as it is loaded: its summary lines, or its CSV rows under one
    /// header (`csv`), or its manifest as JSON (`json`; after the header when both are asked for).
    public static func index(_ store: any ObjectStore, network: String?, csv: Bool, json: Bool, out: (String) -> Void) async throws {
        let names = if let network { [network] } else { try await networks(in: store) }
        if csv { out(BundleManifest.csvHeader) }
        for name in names {
            let m = try await load(name, from: store)
            if json { out(String(decoding: try m.encoded(), as: UTF8.self)); continue }
            (csv ? m.csvLines(network: name) : m.summaryLines(network: name)).forEach(out)
        }
    }
}
