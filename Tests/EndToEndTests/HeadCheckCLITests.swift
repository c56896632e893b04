import Foundation
import Testing
import TestSupport

/// Snapshots that prove themselves after restore: `snapshot create --rpc` records the node's head,
/// the restore marker keeps it, and `node supervise --expect-head-from` checks the started node
/// (the stand-in node serving a matching, a different, or no block at that height).
@Suite("head check: create --rpc, restore marker, supervise --expect-head-from", .serialized)
struct HeadCheckCLITests {
    let bin = Paths.chainsnapBinary
    static let standin = Paths.packageRoot + "/Tests/servers/standin_node.py"
    static let good = "0x" + String(repeating: "ab", count: 32)
    static let bad = "0x" + String(repeating: "cd", count: 32)

    static func events(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A store with one snapshot created with `--rpc` against a node at height 77, restored into
    /// `TMP/target`; returns the target.
    func restoredTarget(_ t: TempDir) throws -> String {
        let port = Servers.freePort()
        let node = try ManagedProcess("/usr/bin/env", ["python3", Self.standin, "--port", "\(port)", "--record", t.sub("source.jsonl"),
                                                       "--height", "77", "--block-hash", Self.good], logPath: t.sub("source.log"))
        try Servers.wait(for: "the stand-in node", timeout: 30, process: node) {
            (try? run("curl", ["-sf", "http://127.0.0.1:\(port)/ext/health"]).status) == 0
        }
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--rpc", "http://127.0.0.1:\(port)"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains("recording the node's head: block 77, hash \(Self.good)"), "\(c.stderr)")
        let wrong = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--rpc", "http://127.0.0.1:\(port)",
                                  "--block-hash", Self.bad])
        #expect(wrong.status == 1 && wrong.stderr.contains("is not the node's block 77"), "\(wrong.stderr)")
        node.stop()

        let l = try run(bin, ["snapshot", "list", store, "--json"])
        let rows = try jsonLines(l.stdout)
        let source = rows[0]["source"] as! [String: Any]
        #expect(source["height"] as? Int == 77 && source["blockHash"] as? String == Self.good, "\(source)")

        let target = t.sub("target")
        let r = try run(bin, ["snapshot", "restore", "--from", store, target])
        #expect(r.status == 0, "\(r.stderr)")
        let marker = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: target + "/.chainsnap-restore.json"))) as! [String: Any]
        #expect(marker["height"] as? Int == 77 && marker["blockHash"] as? String == Self.good, "\(marker)")
        return target
    }

    /// `node supervise --expect-head-from TARGET -- standin …`; returns (status, log, node events).
    func supervise(_ t: TempDir, target: String, label: String, node: [String]) throws -> (Int32, String, [[String: Any]]) {
        let port = Servers.freePort()
        let record = t.sub("\(label).jsonl")
        let r = try run(bin, ["node", "supervise", "--rpc", "http://127.0.0.1:\(port)", "--health-interval", "0.1",
                              "--alias", "C=evm", "--expect-head-from", target, "--head-check-timeout", "2", "--stop-grace", "5",
                              "--", "python3", Self.standin, "--port", "\(port)", "--record", record] + node)
        return (r.status, r.stderr, Self.events(record))
    }

    @Test(.requires("python3", "curl"))
    func theStartedNodeMustHaveTheRecordedHead() throws {
        let t = TempDir("head")
        let target = try restoredTarget(t)

        // Same hash: the supervisor goes on (aliases), and exits with the node's own status. The node
        // lives 6 s: time for the health poll, the head check and the alias on a loaded machine.
        let (okStatus, okLog, okEvents) = try supervise(t, target: target, label: "match",
                                                        node: ["--height", "90", "--block-hash", Self.good, "--exit-after", "6", "--exit-status", "0"])
        #expect(okStatus == 0, "\(okLog)")
        #expect(okLog.contains("head check: block 77 has hash \(Self.good)"), "\(okLog)")
        let methods = okEvents.compactMap { $0["method"] as? String }
        #expect(methods.firstIndex(of: "eth_getBlockByNumber").map { i in methods.firstIndex(of: "admin.aliasChain").map { $0 > i } ?? false } == true,
                "the head is checked before the alias: \(methods)")

        // Another hash: stopped with a clear error before any alias; non-zero exit.
        let (badStatus, badLog, badEvents) = try supervise(t, target: target, label: "mismatch",
                                                           node: ["--height", "90", "--block-hash", Self.bad])
        #expect(badStatus == 1, "\(badLog)")
        #expect(badLog.contains("block 77 has hash \(Self.bad), not the \(Self.good) the snapshot recorded"), "\(badLog)")
        #expect(!badEvents.contains { $0["method"] as? String == "admin.aliasChain" }, "no alias after a wrong head")
        #expect(badEvents.contains { $0["event"] as? String == "signal" }, "the node was stopped")

        // The node lacks the block (behind the snapshot): also stopped.
        let (lowStatus, lowLog, _) = try supervise(t, target: target, label: "behind", node: ["--height", "10"])
        #expect(lowStatus == 1, "\(lowLog)")
        #expect(lowLog.contains("does not have block 77") && lowLog.contains("its head is 10"), "\(lowLog)")

        // No marker (data not restored by chainsnap): the check is skipped and said so.
        let plain = t.sub("plain")
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        let (plainStatus, plainLog, _) = try supervise(t, target: plain, label: "plain",
                                                       node: ["--height", "10", "--exit-after", "4", "--exit-status", "0"])
        #expect(plainStatus == 0 && plainLog.contains("head check skipped"), "\(plainLog)")
    }
}
