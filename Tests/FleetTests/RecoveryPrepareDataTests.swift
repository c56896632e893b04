import Fleet
import Foundation
import Testing
import TestSupport

/// `chainsnap node prepare-data --recovery-dir` (the built binary) on scratch data folders:
/// the pod's side of `fleet recover`.
@Suite("prepare-data honours a recovery request once, for its own pod, never touching staking")
struct RecoveryPrepareDataTests {
    static let bin = Paths.chainsnapBinary

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func node(_ data: String) throws {
        for (rel, body) in ["staking/staker.key": "KEY", "staking/staker.crt": "CRT", "db/mainnet/000001.ldb": "old",
                            "chainData/C/state": "s", "logs/main.log": "log"] {
            try write(data + "/" + rel, body)
        }
    }

    /// Runs the binary on its own thread (not on one of Swift concurrency's cooperative threads).
    static func runBin(_ args: [String]) async throws -> RunResult {
        try await offloaded { try run(bin, args) }
    }

    static func prepare(_ data: String, recovery: String, pod: String) async throws -> RunResult {
        try await runBin(["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--chain-data", "chainData", "--restore-path", "db",
                      "--protect", "staking", "--recovery-dir", recovery, "--pod-name", pod])
    }

    static func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    @Test("restore mode: only luxd-2 acts; chain data replaced by the snapshot; staking kept; a restart does not repeat it")
    func restoreOnce() async throws {
        let tmp = TempDir("recov")
        let src = tmp.sub("src"), store = "file://" + tmp.sub("store")
        try Self.write(src + "/mainnet/000009.ldb", "from the snapshot")
        let created = try await Self.runBin(["snapshot", "create", src, "--to", store, "--network", "test"])
        #expect(created.status == 0, "\(created.output)")
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rec = tmp.sub("recovery")
        try Self.write(rec + "/luxd-2", RecoveryRequest(id: "req-1", mode: .restore, from: store, snapshot: id, requestedAt: "2026-12-01T10:00:00Z").json)
        try Self.write(rec + "/luxd-3", RecoveryRequest(id: "req-3", mode: .rlp, requestedAt: "2026-12-01T10:00:00Z").json)
        // Kubernetes' ConfigMap mount layout: ..data links beside the keys.
        try FileManager.default.createDirectory(atPath: rec + "/..2026_12_01", withIntermediateDirectories: true)

        let other = tmp.sub("luxd-1")
        try Self.node(other)
        let r1 = try await Self.prepare(other, recovery: rec, pod: "luxd-1")
        #expect(r1.status == 0 && r1.stdout.contains("no request for luxd-1") && r1.stdout.contains("decision: leave as is"), "\(r1.output)")
        #expect(Self.exists(other + "/db/mainnet/000001.ldb") && Self.exists(other + "/chainData/C/state"))

        let mine = tmp.sub("luxd-2")
        try Self.node(mine)
        let r2 = try await Self.prepare(mine, recovery: rec, pod: "luxd-2")
        #expect(r2.status == 0, "\(r2.output)")
        #expect(r2.stdout.contains("decision: recover — request req-1"), "\(r2.stdout)")
        #expect(!Self.exists(mine + "/db/mainnet/000001.ldb") && !Self.exists(mine + "/chainData"))
        #expect((try? String(contentsOfFile: mine + "/db/mainnet/000009.ldb", encoding: .utf8)) == "from the snapshot")
        #expect((try? String(contentsOfFile: mine + "/staking/staker.key", encoding: .utf8)) == "KEY")
        #expect(Self.exists(mine + "/staking/staker.crt") && Self.exists(mine + "/logs/main.log"))
        #expect(Recovery.readRecord(dataDir: mine)?.id == "req-1" && Recovery.readRecord(dataDir: mine)?.state == .done)

        // The pod restarts later (drain, crash) with the request still mounted: nothing is wiped again.
        try Self.write(mine + "/db/written-by-node", "new blocks")
        let r3 = try await Self.prepare(mine, recovery: rec, pod: "luxd-2")
        #expect(r3.status == 0 && r3.stdout.contains("request req-1 for luxd-2 was already honoured"), "\(r3.output)")
        #expect(Self.exists(mine + "/db/written-by-node"))
    }

    @Test("rlp mode: the chain data paths go, nothing is restored, staking stays; a malformed request never blocks the node")
    func rlpMode() async throws {
        let tmp = TempDir("recov-rlp")
        let rec = tmp.sub("recovery")
        try Self.write(rec + "/luxd-3", RecoveryRequest(id: "req-3", mode: .rlp, requestedAt: "2026-12-01T10:00:00Z").json)
        let data = tmp.sub("luxd-3")
        try Self.node(data)
        let r = try await Self.prepare(data, recovery: rec, pod: "luxd-3")
        #expect(r.status == 0 && r.stdout.contains("RLP import"), "\(r.output)")
        // The restore target may stay as a folder holding only chainsnap's lock file: the wipe ran under that lock.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: data + "/db")) ?? []
        #expect(left.allSatisfy { $0.hasPrefix(".chainsnap") } && !Self.exists(data + "/chainData"), "left in db: \(left)")
        #expect(Self.exists(data + "/staking/staker.key") && Self.exists(data + "/logs/main.log"))

        try Self.write(rec + "/luxd-4", "{broken")
        let d4 = tmp.sub("luxd-4")
        try Self.node(d4)
        let bad = try await Self.prepare(d4, recovery: rec, pod: "luxd-4")
        #expect(bad.status == 0 && bad.stdout.contains("ignoring the request for luxd-4"), "\(bad.output)")
        #expect(Self.exists(d4 + "/db/mainnet/000001.ldb"))
        // No ConfigMap yet (the optional mount is an empty or missing folder): the usual decision.
        let none = try await Self.prepare(d4, recovery: tmp.sub("absent"), pod: "luxd-4")
        #expect(none.status == 0 && none.stdout.contains("no request for luxd-4"), "\(none.output)")
    }

    @Test("fleet recover refuses a --from carrying credentials (it would be stored in a ConfigMap) and needs exactly one mode")
    func recoverArguments() async throws {
        let r = try await Self.runBin(["fleet", "recover", "luxd-2", "--from", "https://cdn.example.com/node.tar.zst?X-Amz-Signature=abc123"])
        #expect(r.status == 64 && r.stderr.contains("initMode.fromSecret") && !r.stderr.contains("abc123"), "\(r.output)")
        let none = try await Self.runBin(["fleet", "recover", "luxd-2"])
        #expect(none.status == 64 && none.stderr.contains("--rlp"), "\(none.output)")
        let both = try await Self.runBin(["fleet", "recover", "luxd-2", "--rlp", "--snapshot", "x"])
        #expect(both.status == 64, "\(both.output)")
    }
}
