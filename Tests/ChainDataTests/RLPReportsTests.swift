@testable import ChainData
import Foundation
import SnapshotCore
import Testing

@Suite("rlp command reports") struct RLPReportsTests {
    @Test("a part cut: at most one of the three, each within its bounds; none keeps the bundle's own")
    func cuts() throws {
        #expect(try PartCut.choose(blocksPerPart: nil, partSize: nil, byDay: false) == nil)
        #expect(try PartCut.choose(blocksPerPart: 10, partSize: nil, byDay: false) == .blocks(10))
        #expect(try PartCut.choose(blocksPerPart: nil, partSize: "64MiB", byDay: false) == .size(64 << 20))
        #expect(try PartCut.choose(blocksPerPart: nil, partSize: nil, byDay: true) == .day)
        let cases: [(Int?, String?, Bool, String)] = [
            (1, nil, true, "choose one of --blocks-per-part, --part-size, --by-day"),
            (2, "bad", false, "choose one of --blocks-per-part, --part-size, --by-day"),  // the choice first, then the size
            (0, nil, false, "--blocks-per-part must be at least 1"),
            (nil, "1000", false, "--part-size must be at least 1KiB"),
            (nil, "lots", false, "--part-size: cannot read size 'lots'; use a number with an optional unit, e.g. 4MiB, 512k, 2G"),
        ]
        for (b, s, d, message) in cases {
            let e = #expect(throws: ChainsnapError.self) { try PartCut.choose(blocksPerPart: b, partSize: s, byDay: d) }
            #expect(e?.message == message)
        }
    }

    func part(_ first: UInt64, _ last: UInt64, hash: String, parent: String) -> BundlePart {
        BundlePart(key: BundleManifest.partKey(first: first, last: last), firstNumber: first, lastNumber: last,
                   firstHash: "0xf\(first)", lastHash: hash, firstParentHash: parent, blocks: Int(last - first + 1),
                   firstTimestamp: 10, lastTimestamp: 20, firstDay: "2026-12-01", lastDay: "2026-12-01",
                   rawSize: 2048, rawSHA256: "r", storedSize: 1024, storedSHA256: "s\(first)")
    }

    @Test("rlp index: CSV rows with the part's store key, and a summary that says whether the links hold")
    func index() {
        var m = BundleManifest(network: "lux", cut: .blocks(10), tool: "t", now: "2026-12-01T00:00:00Z")
        m.parts = [part(1, 10, hash: "0xa", parent: "0x0"), part(11, 20, hash: "0xb", parent: "0xa")]
        let csv = m.csvLines(network: "lux")
        #expect(BundleManifest.csvHeader.split(separator: ",").count == csv[0].split(separator: ",").count)
        #expect(csv[0] == "lux,2026-12-01,1,10,10,0xf1,0xa,10,20,2048,1024,s1,rlp/lux/\(m.parts[0].key)")
        let summary = m.summaryLines(network: "lux")
        #expect(summary[0] == "bundle lux: 2 part(s), 20 blocks #1…#20, cut blocks:10, links ok")
        #expect(summary[1] == "  2026-12-01  #1…#10  10 blocks  2.0 KiB → 1.0 KiB  \(m.parts[0].key)")
        m.parts[1].firstParentHash = "0xdead"
        #expect(m.summaryLines(network: "lux")[0].hasSuffix("links BROKEN"))
        #expect(BundleManifest(network: "e", cut: .day, tool: "t", now: "n").summaryLines(network: "e") == ["bundle e: 0 part(s), 0 blocks, cut day, links ok"])
    }

    @Test("rlp export and import lines; the legacy part list drops blanks")
    func exportImport() throws {
        let r = RLPExportReport(from: 1, to: 100, blocks: 100, parts: 2, rawBytes: 10, storedBytes: 5, seconds: 4)
        #expect(r.line(network: "lux", lastNumber: 100) == "exported 100 blocks into 2 new part(s) of lux (25 blocks/s); bundle ends at #100")
        let json = try JSONSerialization.jsonObject(with: Data(try r.jsonReport(lastNumber: 100).utf8)) as? [String: Any]
        #expect(json?["blocksPerSecond"] as? Double == 25)
        #expect(json?["lastNumber"] as? Int == 100)
        var i = RLPImportReport(startHeight: 5, endHeight: 9)
        i.partsImported = 2
        i.partsSkipped = 1
        #expect(i.line == "imported 2 part(s), skipped 1: node #5 → #9")
        i.alreadyAtMinHeight = true
        #expect(i.line == "node already at #5 (>= --min-height): nothing imported")
        #expect(RLPImportReport.legacyParts(" aa, ab ,,ac") == ["aa", "ab", "ac"])
        #expect(RLPImportReport.legacyParts(nil) == [])
    }

    @Test("rlp inspect of an empty stream: totals and the scan rate, no first/last or per-day lines")
    func inspectEmpty() throws {
        let lines = StreamSummary().reportLines(source: "https://h/x?X-Amz-Signature=secret", seconds: 0.5)
        #expect(lines[1] == "blocks:   0")
        #expect(!lines[0].contains("secret"))
        #expect(lines.contains("links:    every block follows its parent"))
        #expect(!lines.contains("per day:"))
        #expect(lines.last == "scanned in 0.50s (0.0 MB/s)")
        #expect(try StreamSummary().jsonReport(source: "f", seconds: 1).contains("\"seconds\" : 1"))
    }
}
