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
}
