import ChainData
import Codecs
import Foundation
import LocalFS
import SnapshotCore
import Stores
import Testing
import TestSupport

/// One row of the fixtures README tables.
struct FixtureRow {
    var file: String
    var blocks: Int
    var firstNumber: UInt64
    var lastNumber: UInt64
    var firstHash: String
    var lastHash: String
    var firstParent: String?
}

/// Reads the expected answers from /work/shared/fixtures/rlp/README.md (its two tables).
func fixtureRows(_ dir: String) throws -> [FixtureRow] {
    let text = try String(contentsOfFile: dir + "/README.md", encoding: .utf8)
    var rows: [String: FixtureRow] = [:]
    var order: [String] = []
    for line in text.split(separator: "\n") where line.hasPrefix("| `") {
        let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
        guard cells.count >= 3 else { continue }
        let file = cells[0]
        if cells.count >= 7, let n = Int(cells[1]) {
            let nums = cells[2].components(separatedBy: "..")
            rows[file] = FixtureRow(file: file, blocks: n, firstNumber: UInt64(nums[0])!, lastNumber: UInt64(nums[1])!,
                                    firstHash: cells[5], lastHash: cells[6])
            order.append(file)
        } else if cells[2].hasPrefix("0x"), rows[file] != nil {
            rows[file]!.firstParent = cells[2]
        }
    }
    return order.map { rows[$0]! }
}

@Suite(.requiresSharedFixture("rlp"))
struct RLPFixtureTests {
    @Test func realChainsMatchTheirPublishedCountsAndHashes() async throws {
        let dir = RLPFixtures.dir!
        let rows = try fixtureRows(dir)
        #expect(rows.count >= 10)
        for row in rows {
            let s = try await ByteInput.inspect(dir + "/" + row.file)
            #expect(s.blocks == row.blocks, "\(row.file)")
            #expect(s.first?.number == row.firstNumber, "\(row.file)")
            #expect(s.last?.number == row.lastNumber, "\(row.file)")
            #expect(s.first?.hash.hex == row.firstHash, "\(row.file)")
            #expect(s.last?.hash.hex == row.lastHash, "\(row.file)")
            if let p = row.firstParent { #expect(s.first?.parentHash.hex == p, "\(row.file)") }
            #expect(s.isContinuous, "\(row.file): \(s.breaks)")
        }
    }

    @Test func oneByteAtATimeGivesTheSameBlocks() throws {
        let path = RLPFixtures.dir! + "/execution-apis/chain.rlp"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = try scanAll(bytes)
        #expect(whole.count == 54)
        #expect(try scanAll(bytes, step: 1) == whole)
        #expect(try scanAll(bytes, step: 4093) == whole)
    }

    @Test func brokenVariantsAreReported() async throws {
        let dir = RLPFixtures.dir! + "/negative"
        let missing = try await ByteInput.inspect(dir + "/neg_missing_block27.rlp")
        #expect(missing.breaks.count == 1)
        #expect(missing.breaks.first?.number == 28)
        #expect(missing.breaks.first?.offset == 37114)
        do {
            _ = try await ByteInput.inspect(dir + "/neg_truncated.rlp")
            Issue.record("truncated file accepted")
        } catch let e as ChainsnapError {
            #expect(e.message.contains("offset 69069"), "\(e.message)")
            #expect(e.message.contains("needs 1109 bytes, 1009 left"), "\(e.message)")
        }
        do {
            _ = try await ByteInput.inspect(dir + "/neg_trailing_garbage.rlp")
            Issue.record("trailing garbage accepted")
        } catch let e as ChainsnapError {
            #expect(e.message.contains("offset 70178"), "\(e.message)")
            #expect(e.message.contains("not a list"))
        }
    }
}

@Suite(.requiresSharedFixture("rlp"))
struct RLPFixtureBundleTests {
    /// geth's gzip exports: the halfchain, then the fullchain appended to the same bundle.
    @Test func gzipExportsSplitAndAppend() async throws {
        let dir = RLPFixtures.dir! + "/go-ethereum"
        let rows = try fixtureRows(RLPFixtures.dir!)
        let full = try #require(rows.first { $0.file.hasSuffix("ethtest-fullchain-2020.rlp.gz") })
        let tmp = TempDir("rlp-fix-bundle")
        let store = FileStore(root: tmp.path)
        var w = try await BundleWriter(store: store, network: "geth2020", cut: .blocks(300), tool: "test")
        let half = try await RLPSplitter.split(source: dir + "/ethtest-halfchain-2020.rlp.gz", into: w)
        #expect(half.blocks == 999)
        w = try await BundleWriter(store: store, network: "geth2020", cut: nil, tool: "test")
        #expect(w.appending)
        _ = try await RLPSplitter.split(source: dir + "/ethtest-fullchain-2020.rlp.gz", into: w)
        #expect(w.skipped == 999)
        let m = w.manifest
        try m.verifyLinks()
        #expect(m.blockCount == full.blocks)
        #expect(m.parts.first?.firstHash == full.firstHash)
        #expect(m.parts.first?.firstParentHash == full.firstParent)
        #expect(m.parts.last?.lastHash == full.lastHash)
        #expect(m.cut == "blocks:300")
        // A different chain cannot be appended.
        let other = try await BundleWriter(store: store, network: "geth2020", cut: nil, tool: "test")
        await #expect(throws: ChainsnapError.self) {
            _ = try await RLPSplitter.split(source: RLPFixtures.dir! + "/hive/sync-chain.rlp", into: other)
        }
        // The stored manifest is unchanged by the refused run.
        let stored = try BundleManifest.decode(try FS.readFile(tmp.path + "/rlp/geth2020/manifest.json"), source: "m")
        #expect(stored.parts == m.parts)
    }
}
