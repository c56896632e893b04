import Foundation
import Testing
import TestSupport

/// `node supervise` with the seed chart's `bootstrap.rlpImport` values as the chart passes them
/// (--import-base-url/--import-file/--import-parts: NAME.aa, NAME.ab, … cut by bytes) against the
/// test node (Tests/servers/testnode.py, which decodes RLP with PyPI's `rlp`, not chainsnap's
/// code): the supervisor starts the node, waits for health, runs the legacy import, and keeps the
/// node running whatever the import did.
@Suite("node supervise: the legacy byte-split RLP import", .serialized)
struct SuperviseLegacyImportTests {
    /// A chain of `count` blocks cut by bytes into `legacy/c-chain.rlp.aa…ad`; returns the chain file.
    static func legacyExport(_ dir: TempDir, count: Int) throws -> (chain: String, legacy: String) {
        let (bytes, _) = BlockBuilder.chain(count: count, fields: 16, startTime: 1_700_000_000, spacing: 3_600, txBytes: 200)
        let chain = dir.sub("chain.rlp")
        try Data(bytes).write(to: URL(fileURLWithPath: chain))
        let legacy = dir.sub("legacy")
        try FileManager.default.createDirectory(atPath: legacy, withIntermediateDirectories: true)
        let piece = bytes.count / 4 + 1
        for (i, n) in ["aa", "ab", "ac", "ad"].enumerated() {
            try Data(bytes[min(bytes.count, i * piece)..<min(bytes.count, (i + 1) * piece)]).write(to: URL(fileURLWithPath: legacy + "/c-chain.rlp." + n))
        }
        return (chain, legacy)
    }

    /// Runs `node supervise` over testnode.py until the supervisor says startup is complete, reads
    /// the node's counters while it still runs, then stops it (SIGTERM). Returns (log, state).
    static func supervise(_ dir: TempDir, legacy: String, work: String, node nodeArgs: [String], extra: [String] = []) throws -> (String, [String: Any]) {
        let python = try Requirements.needPython(TestNode.pythonModules, packages: TestNode.pythonPackages)
        let port = Servers.freePort()
        let args = ["node", "supervise", "--rpc", "http://127.0.0.1:\(port)", "--health-interval", "0.1",
                    "--import-base-url", "file://" + legacy, "--import-file", "c-chain.rlp", "--import-parts", "aa,ab,ac,ad",
                    "--work-dir", work, "--import-timeout", "60"] + extra
            + ["--", python, Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "\(port)"] + nodeArgs
        let out = dir.sub("supervise-\(UUID().uuidString.prefix(6)).log")
        let p = try ChildProcess(Paths.chainsnapBinary, args, log: out)
        let deadline = Date().addingTimeInterval(90)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if text.contains("startup complete") || !p.isRunning { break }
            usleep(100_000)
        }
        let running = p.isRunning
        var state: [String: Any] = [:]
        if running {
            let r = try run("curl", ["-s", "-XPOST", "http://127.0.0.1:\(port)/ext/bc/C/rpc", "-H", "Content-Type: application/json",
                                     "-d", #"{"jsonrpc":"2.0","id":1,"method":"test_state","params":[]}"#])
            state = ((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any])?["result"] as? [String: Any] ?? [:]
        }
        p.send(SIGTERM)
        p.waitOrKill(within: 60)
        text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? text
        state["supervisorRunningAfterImport"] = running
        return (text, state)
    }

    @Test("skip below the node's height, resume after a failed file, head checks, min-height; the node keeps running", .requiresTestNode, .requires("curl"))
    func legacyImportUnderSupervise() throws {
        let dir = TempDir("sup-legacy")
        let (chain, legacy) = try Self.legacyExport(dir, count: 80)

        // 1. The node has 30 blocks and fails at block 55 (coreth: the failing file commits nothing).
        let (log1, s1) = try Self.supervise(dir, legacy: legacy, work: dir.sub("w"),
                                            node: ["--chain", chain, "--height", "30", "--fail-at", "55", "--fail-mode", "coreth"])
        #expect(s1["supervisorRunningAfterImport"] as? Bool == true, "a failed import must leave the node running:\n\(log1)")
        #expect(log1.contains("starting: RLP import (chainsnap rlp import --rpc") && log1.contains("--base-url file://\(legacy) --file c-chain.rlp --work-dir \(dir.sub("w")) --parts aa,ab,ac,ad"),
                "\(log1)")
        #expect(log1.contains("injected failure at block #55") && log1.contains("warning: RLP import"), "\(log1)")
        let h1 = s1["height"] as? Int ?? -1
        #expect((30..<55).contains(h1), "blocks before the failing file stay, nothing at or after 55: height \(h1)")

        // 2. Restarted where the node got to (same work folder): blocks at or below its height are
        // skipped, the rest imported; the node ends at the export's head.
        let (log2, s2) = try Self.supervise(dir, legacy: legacy, work: dir.sub("w"), node: ["--chain", chain, "--height", String(h1)])
        #expect(s2["height"] as? Int == 80, "\(log2)")
        #expect(log2.contains("node #\(h1) → #80"), "\(log2)")
        #expect(!log2.contains("warning: RLP import"), "\(log2)")

        // 3. min-height (the seed chart's bootstrap.rlpImport.minHeight): a node already there imports nothing.
        let (log3, s3) = try Self.supervise(dir, legacy: legacy, work: dir.sub("w3"), node: ["--chain", chain, "--height", "80"],
                                            extra: ["--min-height", "80"])
        #expect(log3.contains("node already at #80 (>= --min-height): nothing imported") && (s3["imports"] as? Int) == 0, "\(log3)")

        // 4. Head check: a node on another chain (same height, other hashes) is refused before any import.
        let (other, _) = BlockBuilder.chain(count: 40, fields: 16, startTime: 1_600_000_000, spacing: 60, txBytes: 10)
        let otherChain = dir.sub("other.rlp")
        try Data(other).write(to: URL(fileURLWithPath: otherChain))
        let (log4, s4) = try Self.supervise(dir, legacy: legacy, work: dir.sub("w4"), node: ["--chain", otherChain, "--height", "30"])
        #expect((s4["imports"] as? Int) == 0 && s4["height"] as? Int == 30, "\(s4)\n\(log4)")
        #expect(log4.contains("warning: RLP import") && log4.contains("the node's block #30 is") && log4.contains("the node is on a different chain"),
                "the refusal names the block where the chains differ:\n\(log4)")
        #expect(s4["supervisorRunningAfterImport"] as? Bool == true)
    }
}
