import ChainData
import Foundation
import SnapshotCore
import Testing

@Suite struct BundleManifestTests {
    func part(_ first: UInt64, _ last: UInt64, parent: String, lastHash: String) -> BundlePart {
        BundlePart(key: BundleManifest.partKey(first: first, last: last), firstNumber: first, lastNumber: last,
                   firstHash: "0x01", lastHash: lastHash, firstParentHash: parent, blocks: Int(last - first + 1),
                   firstTimestamp: 0, lastTimestamp: 0, firstDay: "1970-01-01", lastDay: "1970-01-01",
                   rawSize: 1, rawSHA256: "", storedSize: 1, storedSHA256: "")
    }

    @Test func versionAndFormatAreChecked() throws {
        var m = BundleManifest(network: "n", cut: .day, tool: "t", now: "2026-01-01T00:00:00Z")
        m.parts = [part(1, 10, parent: "0xaa", lastHash: "0xbb")]
        let round = try BundleManifest.decode(try m.encoded(), source: "m")
        #expect(round == m)
        var newer = m
        newer.version = BundleManifest.currentVersion + 1
        do {
            _ = try BundleManifest.decode(try newer.encoded(), source: "m")
            Issue.record("a newer format version was accepted")
        } catch let e as ChainsnapError {
            #expect(e.code == .unsupportedFormat)
            #expect(e.hint?.contains("upgrade") == true)
        }
        var other = m
        other.format = "something-else"
        #expect(throws: ChainsnapError.self) { _ = try BundleManifest.decode(try other.encoded(), source: "m") }
        #expect(throws: ChainsnapError.self) { _ = try BundleManifest.decode(Array("{".utf8), source: "m") }
    }

    @Test func linksBetweenPartsAreVerified() throws {
        var m = BundleManifest(network: "n", cut: .blocks(10), tool: "t", now: "x")
        m.parts = [part(1, 10, parent: "0x00", lastHash: "0xaa"), part(11, 20, parent: "0xAA", lastHash: "0xbb")]
        try m.verifyLinks()
        m.parts.append(part(22, 30, parent: "0xbb", lastHash: "0xcc"))
        #expect(throws: ChainsnapError.self) { try m.verifyLinks() }
        m.parts[2] = part(21, 30, parent: "0xcc", lastHash: "0xdd")
        #expect(throws: ChainsnapError.self) { try m.verifyLinks() }
        m.parts[2] = part(21, 30, parent: "0xbb", lastHash: "0xdd")
        try m.verifyLinks()
    }

    @Test func cutsAndNamesParse() throws {
        for c in [PartCut.blocks(5), .size(1 << 20), .day] { #expect(PartCut(text: c.text) == c) }
        #expect(PartCut(text: "blocks:0") == nil)
        #expect(BundleManifest.partKey(first: 1, last: 1000) == "parts/000000000001-000000001000.rlp.zst")
        #expect(throws: ChainsnapError.self) { try BundleManifest.checkNetworkName("../x") }
        #expect(throws: ChainsnapError.self) { try BundleManifest.checkNetworkName("a/b") }
        try BundleManifest.checkNetworkName("lux-mainnet_2.0")
    }
}
