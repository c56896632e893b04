import Foundation
import Testing
import TestSupport

/// Restores refuse another network's snapshot; unknown ids list what the store has; a static
/// mirror with no folder index serves `latest` through the `snapshots/latest` pointer.
@Suite("network checks and the latest pointer (binary)")
struct NetworkCheckCLITests {
    let bin = Paths.chainsnapBinary

    func makeSnapshot(_ tmp: TempDir, network: String, chainId: String) throws -> (store: String, id: String) {
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src + "/sub", withIntermediateDirectories: true)
        try Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: src + "/sub/000001.ldb"))
        let store = tmp.sub("store")
        let r = try run(bin, ["snapshot", "create", src, "--to", "file://" + store, "--network", network, "--chain-id", chainId])
        try #require(r.status == 0, "\(r.output)")
        return (store, r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("a testnet snapshot is refused by a mainnet prepare-data, naming both; --allow-other-network restores it")
    func testnetRefusedByMainnet() throws {
        let tmp = TempDir("netcheck")
        let (store, id) = try makeSnapshot(tmp, network: "testnet", chainId: "96368")
        let data = tmp.sub("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let args = ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--chain-data", "chainData",
                    "--from", "file://" + store, "--network", "mainnet", "--chain-id", "96369"]
        let refused = try run(bin, args)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.stderr.contains("snapshot \(id) is from network 'testnet' (chain id 96368); this node is on network 'mainnet' (chain id 96369)"), "\(refused.output)")
        #expect(refused.stderr.contains("--allow-other-network"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data + "/db/sub/000001.ldb"))
        // The decision line came first, flushed before the restore ran.
        #expect(refused.stdout.contains("decision: restore"), "\(refused.stdout)")
        let allowed = try run(bin, args + ["--allow-other-network"])
        #expect(allowed.status == 0 && FileManager.default.fileExists(atPath: data + "/db/sub/000001.ldb"), "\(allowed.output)")
        // The same network restores without the override.
        let same = try run(bin, ["snapshot", "restore", "--from", "file://" + store, "--network", "testnet", "--chain-id", "96368", tmp.sub("t2")])
        #expect(same.status == 0, "\(same.output)")
    }

    @Test("an unknown snapshot id lists the ids the store has")
    func unknownIdListsStore() throws {
        let tmp = TempDir("netcheck")
        let (store, id) = try makeSnapshot(tmp, network: "devnet", chainId: "96370")
        let r = try run(bin, ["snapshot", "restore", "--from", "file://" + store, "--snapshot", "20200101T000000Z-00000000", tmp.sub("t")])
        #expect(r.status != 0 && r.stderr.contains("does not exist") && r.stderr.contains("it has 1 snapshot: \(id)"), "\(r.output)")
    }

    @Test("a static nginx mirror without autoindex serves latest from the pointer; without it the error says so plainly")
    func staticMirrorLatest() async throws {
        let tmp = TempDir("netcheck")
        let (store, id) = try makeSnapshot(tmp, network: "devnet", chainId: "96370")
        #expect((try? String(contentsOfFile: store + "/snapshots/latest", encoding: .utf8)) == id + "\n")
        let work = tmp.sub("nginx")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let server = try await offloaded { try NginxServer(root: store, workDir: work, autoindex: false) }
        defer { server.stop() }
        let r = try run(bin, ["snapshot", "restore", "--from", server.plainURL, tmp.sub("t1")])
        #expect(r.status == 0 && r.stderr.contains("restored snapshot \(id)"), "\(r.output)")
        #expect(FileManager.default.contentsEqual(atPath: tmp.sub("src/sub/000001.ldb"), andPath: tmp.sub("t1/sub/000001.ldb")))

        try FileManager.default.removeItem(atPath: store + "/snapshots/latest")
        let none = try run(bin, ["snapshot", "restore", "--from", server.plainURL, tmp.sub("t2")])
        #expect(none.status != 0, "\(none.output)")
        #expect(none.stderr.contains("cannot be listed") && none.stderr.contains("no snapshots/latest pointer"), "\(none.stderr)")
        #expect(!none.stderr.contains("snapshot create DIR"), "a read-only mirror must not be told to create snapshots: \(none.stderr)")
        #expect(none.stderr.contains("--snapshot ID"), "\(none.stderr)")
    }
}

/// Pod logs: through a pipe (not a terminal) every line carries an RFC 3339 timestamp, the
/// decision of prepare-data is written before the restore's progress, no progress line claims an
/// ETA before bytes moved, and --json prints one object per line.
@Suite("pod log lines through a pipe (binary)")
struct PodLogTests {
    let bin = Paths.chainsnapBinary
    /// The line's `2026-12-01T11:05:00.123Z` prefix (RFC 3339, UTC, milliseconds), or nil.
    func stampOf(_ line: Substring) -> String? {
        let b = Array(line.utf8)
        guard b.count > 25, b[24] == UInt8(ascii: " "), b[23] == UInt8(ascii: "Z") else { return nil }
        let shape = "dddd-dd-ddTdd:dd:dd.ddd"
        for (c, want) in zip(b, shape.utf8) where want == UInt8(ascii: "d") ? !(48...57).contains(c) : c != want { return nil }
        return String(decoding: b[0..<24], as: UTF8.self)
    }

    @Test("prepare-data + restore: every line timestamped, decision before progress, no ETA before bytes")
    func prepareDataLog() throws {
        let tmp = TempDir("podlog")
        let src = tmp.sub("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 9) }).write(to: URL(fileURLWithPath: src + "/000001.ldb"))
        let store = "file://" + tmp.sub("store")
        let created = try run(bin, ["snapshot", "create", src, "--to", store, "--network", "devnet", "--json"])
        try #require(created.status == 0, "\(created.output)")
        let jsonLines = created.stdout.split(separator: "\n")
        #expect(jsonLines.count == 1, "one JSON object per line: \(created.stdout)")
        let obj = try JSONSerialization.jsonObject(with: Data(jsonLines[0].utf8)) as? [String: Any]
        #expect(obj?["id"] is String && obj?["newChunks"] is Int, "\(created.stdout)")
        // Every stderr line of create is stamped too.
        for l in created.stderr.split(separator: "\n") { #expect(stampOf(l) != nil, "unstamped: \(l)") }

        let data = tmp.sub("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let r = try run(bin, ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--from", store, "--network", "devnet"],
                        environment: ["CHAINSNAP_PROGRESS_INTERVAL": "0.01"])
        #expect(r.status == 0, "\(r.output)")
        let out = r.stdout.split(separator: "\n"), err = r.stderr.split(separator: "\n")
        for l in out + err { #expect(stampOf(l) != nil, "unstamped line: \(l)") }
        let decision = try #require(out.first { $0.contains("decision: restore") })
        let firstRestoreLine = try #require(err.first { $0.contains("restore") }, "\(r.stderr)")
        // RFC 3339 UTC with fixed width sorts as text.
        #expect(stampOf(decision)! <= stampOf(firstRestoreLine)!, "decision \(decision) after \(firstRestoreLine)")
        for l in err where l.contains("0 B /") { #expect(!l.contains("ETA"), "ETA before any bytes: \(l)") }

        let list = try run(bin, ["snapshot", "list", store, "--json"])
        #expect(list.status == 0 && list.stdout.split(separator: "\n").allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] },
                "NDJSON rows: \(list.stdout)")
    }
}
