import ChainData
import Codecs
import Foundation
import LocalFS
import Stores
import Testing
import TestSupport

/// export → split → publish → import through the built binary and the Python test node.
@Suite(.serialized) struct RLPEndToEndTests {
    /// A generated chain file of `count` London blocks; returns its path and block hashes.
    func chainFile(_ dir: TempDir, count: Int, name: String = "chain.rlp") throws -> (String, [Hash32]) {
        let (bytes, hashes) = BlockBuilder.chain(count: count, fields: 16, startTime: 1_700_000_000, spacing: 3_600, txBytes: 200)
        let path = dir.sub(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, hashes)
    }

    @Test(.requiresTestNode, .requires("zstd", "curl"))
    func exportSplitPublishImport() async throws {
        let dir = TempDir("rlp-e2e")
        let (chain, hashes) = try chainFile(dir, count: 120)
        let source = try TestNode(["--chain", chain, "--height", "90"])
        // Export the first 60 blocks, then the rest up to the head in a second run (append).
        let store = "file://" + dir.sub("store")
        var r = try chainsnap(["rlp", "export", "--rpc", source.url, "--to", store, "--network", "devnet",
                               "--to-block", "60", "--blocks-per-part", "25", "--batch", "7", "--parallel", "3"])
        #expect(r.status == 0, "\(r.output)")
        r = try chainsnap(["rlp", "export", "--rpc", source.url, "--to", store, "--network", "devnet", "--confirmations", "5", "--json"])
        #expect(r.status == 0, "\(r.output)")
        let m = try BundleManifest.decode(try FS.readFile(dir.sub("store/rlp/devnet/manifest.json")), source: "manifest")
        #expect(m.parts.first?.firstNumber == 1)
        #expect(m.parts.last?.lastNumber == 85)
        #expect(m.parts.last?.lastHash == hashes[84].hex)
        try m.verifyLinks()
        // Parts are standard zstd frames the zstd tool reads, and their bytes hash as recorded.
        let p = dir.sub("store/rlp/devnet/" + m.parts[0].key)
        let z = try run("zstd", ["-dc", p, "-o", dir.sub("p0.rlp")])
        #expect(z.status == 0)
        #expect(SHA256Hasher.hex(try FS.readFile(dir.sub("p0.rlp"))) == m.parts[0].rawSHA256)
        // Split the whole file into the same bundle: the 85 known blocks are checked and skipped.
        r = try chainsnap(["rlp", "split", chain, "--to", store, "--network", "devnet"])
        #expect(r.status == 0, "\(r.output)")
        // Index as CSV.
        r = try chainsnap(["rlp", "index", store, "--network", "devnet", "--csv"])
        #expect(r.status == 0)
        let rows = r.stdout.split(separator: "\n").dropFirst()
        #expect(rows.last?.split(separator: ",")[3] == "120")

        // Import into an empty node (genesis only) and check its head.
        let target = try TestNode(["--chain", chain, "--height", "0"])
        r = try chainsnap(["rlp", "import", "--rpc", target.url, "--from", store, "--network", "devnet", "--work-dir", dir.sub("work")])
        #expect(r.status == 0, "\(r.output)")
        #expect(target.height == 120)
        #expect(try FS.listDirectory(dir.sub("work")).isEmpty)
        // Running again does nothing.
        r = try chainsnap(["rlp", "import", "--rpc", target.url, "--from", store, "--network", "devnet", "--work-dir", dir.sub("work")])
        #expect(r.status == 0)
        let parts = try BundleManifest.decode(try FS.readFile(dir.sub("store/rlp/devnet/manifest.json")), source: "manifest").parts
        #expect(try target.state()["imports"] as? Int == parts.count)
    }

    @Test(.requiresTestNode, .requires("curl"), arguments: ["coreth", "geth"])
    func resumesAfterAFailureMidImport(mode: String) async throws {
        let dir = TempDir("rlp-resume")
        let (chain, _) = try chainFile(dir, count: 100)
        let store = "file://" + dir.sub("store")
        var r = try chainsnap(["rlp", "split", chain, "--to", store, "--network", "n1", "--blocks-per-part", "20"])
        #expect(r.status == 0, "\(r.output)")
        let node = try TestNode(["--chain", chain, "--height", "10", "--fail-at", "55", "--fail-mode", mode])
        r = try chainsnap(["rlp", "import", "--rpc", node.url, "--from", store, "--network", "n1", "--work-dir", dir.sub("w")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("parts/000000000041-000000000060.rlp.zst"), "\(r.stderr)")
        #expect(r.stderr.contains("injected failure at block #55"))
        #expect(node.height == (mode == "coreth" ? 40 : 54))
        r = try chainsnap(["rlp", "import", "--rpc", node.url, "--from", store, "--network", "n1", "--work-dir", dir.sub("w")])
        #expect(r.status == 0, "\(r.output)")
        #expect(node.height == 100)
        #expect(r.stdout.contains("skipped 2"), "\(r.stdout)")
    }

    @Test(.requiresTestNode, .requires("curl"))
    func legacyByteSplitLayout() async throws {
        let dir = TempDir("rlp-legacy")
        let (chain, _) = try chainFile(dir, count: 80)
        // The operator's layout: one export cut by bytes (split -b) into NAME.aa, NAME.ab, …
        let legacy = dir.sub("legacy")
        try FileManager.default.createDirectory(atPath: legacy, withIntermediateDirectories: true)
        let bytes = try FS.readFile(chain)
        let names = ["aa", "ab", "ac", "ad"]
        let piece = bytes.count / 4 + 1
        for (i, n) in names.enumerated() {
            let slice = Array(bytes[min(bytes.count, i * piece)..<min(bytes.count, (i + 1) * piece)])
            try Data(slice).write(to: URL(fileURLWithPath: legacy + "/c-chain.rlp." + n))
        }
        let node = try TestNode(["--chain", chain, "--height", "30"])
        var r = try chainsnap(["rlp", "import", "--rpc", node.url, "--base-url", "file://" + legacy, "--file", "c-chain.rlp",
                               "--parts", names.joined(separator: ","), "--work-dir", dir.sub("w"), "--blocks-per-file", "15"])
        #expect(r.status == 0, "\(r.output)")
        #expect(node.height == 80)
        #expect((try node.state()["imports"] as? Int) == 4) // blocks 31…80 in files of 15
        // Parts given out of order are a broken chain: refused, nothing imported.
        let fresh = try TestNode(["--chain", chain, "--height", "0"])
        r = try chainsnap(["rlp", "import", "--rpc", fresh.url, "--base-url", "file://" + legacy, "--file", "c-chain.rlp",
                           "--parts", "aa,ac,ab,ad", "--work-dir", dir.sub("w2"), "--blocks-per-file", "1000"])
        #expect(r.status == 1)
        #expect(fresh.height == 0)
    }

    @Test(.requiresTestNode, .requires("curl"))
    func brokenLinkIsRefusedBeforeAnythingIsImported() async throws {
        let dir = TempDir("rlp-broken")
        let (chain, _) = try chainFile(dir, count: 60)
        let store = "file://" + dir.sub("store")
        var r = try chainsnap(["rlp", "split", chain, "--to", store, "--network", "b", "--blocks-per-part", "20"])
        #expect(r.status == 0, "\(r.output)")
        // Tamper with the manifest: the third part no longer follows the second.
        let mpath = dir.sub("store/rlp/b/manifest.json")
        var m = try BundleManifest.decode(try FS.readFile(mpath), source: mpath)
        m.parts[2].firstParentHash = "0x" + String(repeating: "ab", count: 32)
        try FS.writeAtomically(mpath, bytes: try m.encoded())
        let node = try TestNode(["--chain", chain, "--height", "0"])
        r = try chainsnap(["rlp", "import", "--rpc", node.url, "--from", store, "--network", "b", "--work-dir", dir.sub("w")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("broken link"), "\(r.stderr)")
        #expect(r.stderr.contains(m.parts[2].key))
        #expect(node.height == 0)
        #expect((try node.state()["imports"] as? Int) == 0)
        // A node from another chain is refused too.
        let (other, _) = try chainFile(dir, count: 30, name: "other.rlp")
        r = try chainsnap(["rlp", "split", other, "--to", store, "--network", "b"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("different chain") || r.stderr.contains("broken"), "\(r.stderr)")
    }

    @Test func inspectReportsBreaksAndDays() throws {
        let dir = TempDir("rlp-inspect")
        let (a, ha) = BlockBuilder.chain(first: 1, count: 30, spacing: 3_600)
        let (b, _) = BlockBuilder.chain(first: 32, count: 5, parent: ha[29], startTime: 1_700_000_000 + 31 * 3_600, spacing: 3_600)
        try Data(a + b).write(to: URL(fileURLWithPath: dir.sub("gap.rlp")))
        let r = try chainsnap(["rlp", "inspect", dir.sub("gap.rlp"), "--json"])
        #expect(r.status == 1)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(o?["blocks"] as? Int == 35)
        let breaks = o?["breaks"] as? [[String: Any]]
        #expect(breaks?.first?["number"] as? Int == 32)
        let hours: [UInt64] = Array(0..<30) + Array(31..<36)
        let stamps: [UInt64] = hours.map { 1_700_000_000 + $0 * 3_600 }
        #expect((o?["days"] as? [Any])?.count == Set(stamps.map { UTCDay.string(fromTimestamp: $0) }).count)
        // Splitting it publishes nothing.
        let s = try chainsnap(["rlp", "split", dir.sub("gap.rlp"), "--to", "file://" + dir.sub("st"), "--network", "g"])
        #expect(s.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("st/rlp/g/manifest.json")))
    }

    @Test(.requiresTestNode, .requires("curl"))
    func byDayExportLeavesTheUnfinishedDayForTheNextRun() throws {
        let dir = TempDir("rlp-day-export")
        let (chain, hashes) = try chainFile(dir, count: 100) // one block an hour
        let node = try TestNode(["--chain", chain, "--height", "100"])
        let store = "file://" + dir.sub("store")
        let r = try chainsnap(["rlp", "export", "--rpc", node.url, "--to", store, "--network", "d", "--by-day", "--batch", "16"])
        #expect(r.status == 0, "\(r.output)")
        let m = try BundleManifest.decode(try FS.readFile(dir.sub("store/rlp/d/manifest.json")), source: "m")
        let headDay = UTCDay.string(fromTimestamp: 1_700_000_000 + 99 * 3_600)
        #expect(m.parts.allSatisfy { $0.firstDay == $0.lastDay })
        #expect(m.parts.last?.lastDay != headDay)
        #expect(m.parts.last.map { $0.lastHash == hashes[Int($0.lastNumber) - 1].hex } == true)
        // The day after the last part is the head's day: nothing is lost, it waits for the next run.
        let next = (m.parts.last?.lastNumber ?? 0) + 1
        #expect(UTCDay.string(fromTimestamp: 1_700_000_000 + (next - 1) * 3_600) == headDay)
    }

    @Test("rlp split - reads standard input: a byte-split export (aa, ab cut mid-block) piped in becomes one bundle")
    func splitFromStandardInput() throws {
        let dir = TempDir("rlp-stdin")
        let (a, _) = BlockBuilder.chain(first: 1, count: 40, spacing: 3_600)
        let bytes = Data(a)
        let cut = bytes.count / 2 + 7  // not a block boundary
        try bytes.prefix(cut).write(to: URL(fileURLWithPath: dir.sub("chain.rlp.aa")))
        try bytes.dropFirst(cut).write(to: URL(fileURLWithPath: dir.sub("chain.rlp.ab")))
        let store = "file://" + dir.sub("st")
        let r = try run("/bin/sh", ["-c", "cat \"$0\".aa \"$0\".ab | \"$1\" rlp split - --to \"$2\" --network piped --blocks-per-part 15",
                                    dir.sub("chain.rlp"), Paths.chainsnapBinary, store])
        #expect(r.status == 0, "\(r.output)")
        let m = try BundleManifest.decode(try FS.readFile(dir.sub("st/rlp/piped/manifest.json")), source: "m")
        #expect(m.parts.first?.firstNumber == 1 && m.parts.last?.lastNumber == 40 && m.parts.count == 3, "\(m.parts)")
    }

    @Test func byDayBundleIsTheDailyIndex() throws {
        let dir = TempDir("rlp-day")
        let (chain, _) = try chainFile(dir, count: 100) // one block an hour: 5 UTC days
        let store = "file://" + dir.sub("store")
        var r = try chainsnap(["rlp", "split", chain, "--to", store, "--network", "d", "--by-day"])
        #expect(r.status == 0, "\(r.output)")
        r = try chainsnap(["rlp", "index", store, "--csv"])
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let days = rows.map { $0[1] }
        #expect(Set(days).count == days.count)
        #expect(days.first == UTCDay.string(fromTimestamp: 1_700_000_000))
        #expect(rows.map { Int($0[4])! }.reduce(0, +) == 100)
        for i in 1..<rows.count { #expect(UInt64(rows[i][2])! == UInt64(rows[i - 1][3])! + 1) }
    }
}

@Suite(.serialized) struct RLPExportSafetyTests {
    /// An export that fails part way (the node lacks the blocks) leaves a consistent bundle, and the next run continues it.
    @Test(.requiresTestNode, .requires("curl"))
    func failedExportLeavesAConsistentBundle() throws {
        let dir = TempDir("rlp-export-fail")
        let (bytes, hashes) = BlockBuilder.chain(count: 90, fields: 17)
        let chain = dir.sub("c.rlp")
        try Data(bytes).write(to: URL(fileURLWithPath: chain))
        let node = try TestNode(["--chain", chain, "--height", "50"])
        let store = "file://" + dir.sub("s")
        var r = try chainsnap(["rlp", "export", "--rpc", node.url, "--to", store, "--network", "x", "--to-block", "80",
                               "--blocks-per-part", "20", "--batch", "10", "--parallel", "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("debug_getRawBlock"), "\(r.stderr)")
        let mpath = dir.sub("s/rlp/x/manifest.json")
        if FileManager.default.fileExists(atPath: mpath) {
            let m = try BundleManifest.decode(try FS.readFile(mpath), source: mpath)
            try m.verifyLinks()
            #expect((m.parts.last?.lastNumber ?? 0) <= 50)
            #expect(m.parts.last.map { $0.lastHash == hashes[Int($0.lastNumber) - 1].hex } ?? true)
        }
        r = try chainsnap(["rlp", "export", "--rpc", node.url, "--to", store, "--network", "x"])
        #expect(r.status == 0, "\(r.output)")
        let m = try BundleManifest.decode(try FS.readFile(mpath), source: mpath)
        try m.verifyLinks()
        #expect(m.parts.first?.firstNumber == 1)
        #expect(m.parts.last?.lastNumber == 50)
        #expect(m.parts.last?.lastHash == hashes[49].hex)
        // An export from a node on another chain is refused: nothing is appended.
        let (otherBytes, _) = BlockBuilder.chain(count: 60, fields: 16, startTime: 1_600_000_000)
        try Data(otherBytes).write(to: URL(fileURLWithPath: dir.sub("o.rlp")))
        let other = try TestNode(["--chain", dir.sub("o.rlp")])
        r = try chainsnap(["rlp", "export", "--rpc", other.url, "--to", store, "--network", "x"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("#51"), "\(r.stderr)")
        let after = try BundleManifest.decode(try FS.readFile(mpath), source: mpath)
        #expect(after.parts == m.parts)
    }
}

@Suite(.serialized) struct RLPOverHTTPTests {
    /// Inspect an export by URL and import a bundle from a read-only https-style store (with a flaky first answer).
    @Test(.requiresTestNode, .requires("python3", "curl"))
    func inspectAndImportOverHTTP() throws {
        let dir = TempDir("rlp-http")
        let (bytes, hashes) = BlockBuilder.chain(count: 70, fields: 17)
        try FileManager.default.createDirectory(atPath: dir.sub("www"), withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.sub("www/chain.rlp")))
        var r = try chainsnap(["rlp", "split", dir.sub("www/chain.rlp"), "--to", "file://" + dir.sub("www"), "--network", "h",
                               "--blocks-per-part", "20"])
        #expect(r.status == 0, "\(r.output)")
        let http = try FaultServer(root: dir.sub("www"), logDir: dir.path)
        r = try chainsnap(["rlp", "inspect", http.url("ok", "chain.rlp"), "--json"])
        #expect(r.status == 0, "\(r.output)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(o?["lastHash"] as? String == hashes[69].hex)
        #expect(o?["blocks"] as? Int == 70)
        // Each request fails once (500) before it works: the store's retries carry the import through.
        let node = try TestNode(["--chain", dir.sub("www/chain.rlp"), "--height", "5", "--geth"])
        r = try chainsnap(["rlp", "import", "--rpc", node.url, "--geth", "--from", http.baseURL + "/500/1", "--network", "h",
                           "--work-dir", dir.sub("w"), "--prefetch", "3"])
        #expect(r.status == 0, "\(r.output)")
        #expect(node.height == 70)
        // Writing to an https store is refused with a clear message.
        r = try chainsnap(["rlp", "split", dir.sub("www/chain.rlp"), "--to", http.baseURL + "/ok/0", "--network", "h2"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("read-only"), "\(r.stderr)")
    }
}
