import Foundation
import Testing
import TestSupport

/// `chainsnap node prepare-data` against a real file:// store written by `chainsnap snapshot create`:
/// the init container's whole life — restore an empty volume, no-op on restart, clearData re-restore.
@Suite("prepare-data with a real snapshot store")
struct K8sPrepareDataRestoreTests {
    @Test("empty volume → restore; restart → nothing; clearData → only chain data replaced; staking kept")
    func lifecycle() throws {
        let bin = Paths.chainsnapBinary
        // The snapshot command is another issue's; until it is in the binary there is nothing to restore from.
        guard (try run(bin, ["snapshot", "create", "--help"])).stdout.contains("USAGE: chainsnap snapshot create") else {
            Issue.record("`chainsnap snapshot create` is missing from the binary")
            return
        }
        let tmp = TempDir("prep-restore")
        let fm = FileManager.default
        let src = tmp.sub("src"), data = tmp.sub("data"), store = "file://" + tmp.sub("store")
        try fm.createDirectory(atPath: src + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: data + "/staking", withIntermediateDirectories: true)
        try Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: src + "/sub/000001.ldb"))
        try "CURRENT".write(toFile: src + "/CURRENT", atomically: false, encoding: .utf8)
        try "KEY".write(toFile: data + "/staking/staker.key", atomically: false, encoding: .utf8)

        let created = try run(bin, ["snapshot", "create", src, "--to", store, "--network", "devnet"])
        try #require(created.status == 0, "snapshot create failed: \(created.output)")
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let args = ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--chain-data", "chainData", "--from", store]
        let first = try run(bin, args)
        #expect(first.status == 0 && first.stdout.contains("decision: restore"), "\(first.output)")
        #expect(fm.contentsEqual(atPath: src + "/sub/000001.ldb", andPath: data + "/db/sub/000001.ldb"))
        #expect(fm.fileExists(atPath: data + "/db/.chainsnap-restore.json"))

        let again = try run(bin, args)
        #expect(again.status == 0 && again.stdout.contains("already restored") && again.stdout.contains(id), "\(again.output)")

        // Corrupt state: a stray file in db and chainData; clearData wipes both and restores db again.
        try "junk".write(toFile: data + "/db/JUNK", atomically: false, encoding: .utf8)
        try fm.createDirectory(atPath: data + "/chainData/C", withIntermediateDirectories: true)
        try "x".write(toFile: data + "/chainData/C/x", atomically: false, encoding: .utf8)
        let cleared = try run(bin, args + ["--clear-data"])
        #expect(cleared.status == 0 && cleared.stdout.contains("decision: clear and restore"), "\(cleared.output)")
        #expect(!fm.fileExists(atPath: data + "/db/JUNK") && !fm.fileExists(atPath: data + "/chainData"))
        #expect(fm.contentsEqual(atPath: src + "/sub/000001.ldb", andPath: data + "/db/sub/000001.ldb"))
        #expect((try? String(contentsOfFile: data + "/staking/staker.key", encoding: .utf8)) == "KEY")

        // With a token, a recreated pod (same values) clears once, not on every start.
        let once = args + ["--clear-data", "--clear-data-token", "rev-7"]
        let t1 = try run(bin, once)
        #expect(t1.status == 0 && t1.stdout.contains("decision: clear and restore"), "\(t1.output)")
        try "new".write(toFile: data + "/db/NEW-BLOCKS", atomically: false, encoding: .utf8)
        let t2 = try run(bin, once)
        #expect(t2.status == 0 && t2.stdout.contains("already done for token rev-7"), "\(t2.output)")
        #expect(fm.fileExists(atPath: data + "/db/NEW-BLOCKS"))
        let t3 = try run(bin, args + ["--clear-data", "--clear-data-token", "rev-8"])
        #expect(t3.status == 0 && !fm.fileExists(atPath: data + "/db/NEW-BLOCKS"), "\(t3.output)")
    }
}
