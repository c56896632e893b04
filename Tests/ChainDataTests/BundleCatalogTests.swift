import ChainData
import SnapshotCore
import Stores
import Testing
import TestSupport

@Suite("BundleCatalog")
struct BundleCatalogTests {
    @Test("lists the bundles in a store, loads one, and says when there are none")
    func catalog() async throws {
        let tmp = TempDir("bundle-catalog")
        let store = FileStore(root: tmp.path)
        await #expect(throws: ChainsnapError.self) { try await BundleCatalog.networks(in: store) }
        for name in ["lux-mainnet", "lux-testnet"] {
            let m = BundleManifest(network: name, cut: .blocks(10), tool: "t", now: "2026-01-01T00:00:00Z")
            try await store.put(BundleManifest.key(network: name), bytes: try m.encoded())
        }
        // Not bundles: a manifest at the wrong depth, another file.
        try await store.put("rlp/a/b/manifest.json", bytes: [])
        try await store.put("rlp/lux-mainnet/parts/x.rlp.zst", bytes: [])
        #expect(try await BundleCatalog.networks(in: store).sorted() == ["lux-mainnet", "lux-testnet"])
        #expect(try await BundleCatalog.load("lux-testnet", from: store).network == "lux-testnet")
        await #expect(throws: ChainsnapError.self) { try await BundleCatalog.load("../x", from: store) }
        let absent = try #require(await chainsnapError { _ = try await BundleCatalog.load("absent", from: store) })
        #expect(absent.code == .notFound && absent.message.contains("no RLP bundle 'absent'")
                && absent.message.contains("it has: lux-mainnet, lux-testnet"), "\(absent.message)")
    }

    @Test("rlp index: every bundle (or the one named) as summary lines, CSV under one header, or manifest JSON")
    func index() async throws {
        let tmp = TempDir("bundle-index")
        let store = FileStore(root: tmp.path)
        var manifests: [String: BundleManifest] = [:]
        for name in ["lux-mainnet", "lux-testnet"] {
            let m = BundleManifest(network: name, cut: .day, tool: "t", now: "2026-01-01T00:00:00Z")
            manifests[name] = m
            try await store.put(BundleManifest.key(network: name), bytes: try m.encoded())
        }
        func lines(_ network: String?, csv: Bool = false, json: Bool = false) async throws -> [String] {
            var out: [String] = []
            try await BundleCatalog.index(store, network: network, csv: csv, json: json, out: { out.append($0) })
            return out
        }
        let order = try await BundleCatalog.networks(in: store)
        #expect(try await lines(nil) == order.flatMap { manifests[$0]!.summaryLines(network: $0) })
        #expect(try await lines("lux-testnet", csv: true) == [BundleManifest.csvHeader] + manifests["lux-testnet"]!.csvLines(network: "lux-testnet"))
        let json = try await lines("lux-mainnet", json: true)
        let mainnet = String(decoding: try manifests["lux-mainnet"]!.encoded(), as: UTF8.self)
        #expect(json == [mainnet])
        #expect(try await lines(nil, csv: true, json: true).count == 1 + order.count, "the header, then one manifest per bundle")
        await #expect(throws: ChainsnapError.self) { try await lines("absent") }
    }
}
