import Foundation
import NodeRPC
import RestoreCore
import SnapshotCore
import Testing
import TestSupport

/// `node supervise` past its flags, in-process: the dry run's plan, the head a marker names, the
/// node's exit status as the result.
@Suite("node supervise's run")
struct SuperviseRunTests {
    func options(_ executable: String, _ arguments: [String]) -> SupervisorOptions {
        SupervisorOptions(executable: executable, arguments: arguments, endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:1"),
                          healthTimeout: 30, healthInterval: 0.2, aliases: [ChainAlias(chain: "C", alias: "evm")], forwardSignals: false)
    }

    @Test("a dry run hands out the plan, with the import's command line shown redacted, and starts nothing")
    func dryRun() async throws {
        let o = options("/nonexistent/luxd", ["--http-port=9650"])
        let out = LineLog()
        let importArgs = ["rlp", "import", "--rpc", "http://127.0.0.1:9650", "--from", "https://h/b?X-Amz-Signature=secret"]
        let status = try await Supervisor.supervise(o, importArguments: importArgs, dryRun: true, out: { out.add($0) })
        #expect(status == 0)
        #expect(out.lines == o.planLines(importing: SelfExec.display(importArgs)))
        #expect(out.lines.first == "node:    /nonexistent/luxd --http-port=9650" && !out.lines.joined().contains("secret"))
        #expect(out.lines.last?.hasPrefix("import:  chainsnap rlp import") == true)
    }

    @Test("a node that exits on its own: its exit status is the result")
    func nodeStatus() async throws {
        let status = try await Supervisor.supervise(options("/bin/sh", ["-c", "exit 7"]), importArguments: nil, dryRun: false, out: { _ in })
        #expect(status == 7)
    }

    @Test("--expect-head-from: the marker's head becomes the expected head, with its note; none given changes nothing")
    func expectHead() throws {
        let t = TempDir("supervise-head")
        try JSONEncoder().encode(RestoreMarker(kind: "snapshot", identity: "snap-1", source: "s3://b/p", height: 7, blockHash: "0xAB", bytes: 1))
            .write(to: URL(fileURLWithPath: t.sub(ReservedNames.marker)))
        var o = options("/bin/true", [])
        let log = LineLog()
        try o.expectHead(fromRestoreMarkerIn: nil, timeout: 5, log: { log.add($0) })
        #expect(o.expectHead == nil && o.headCheckTimeout == 120 && log.lines.isEmpty)
        try o.expectHead(fromRestoreMarkerIn: t.path, timeout: 5, log: { log.add($0) })
        #expect(o.expectHead?.number == 7 && o.expectHead?.hash == "0xab" && o.headCheckTimeout == 5)
        #expect(log.lines.count == 1)
    }
}
