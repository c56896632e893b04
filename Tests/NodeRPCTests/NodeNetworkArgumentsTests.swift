import Foundation
import NodeRPC
import RestoreCore
import SnapshotCore
import TestSupport
import Testing

@Suite("node supervise decisions") struct NodeNetworkArgumentsTests {
    @Test("peers: HOST:PORT[=NODE-ID]; node IDs on all or none; other settings checked with the option's name")
    func validation() throws {
        #expect(NodeNetworkArguments.Peer(parsing: "a:1=NodeID-x") == .init(parsing: "a:1=NodeID-x"))
        #expect(NodeNetworkArguments.Peer(parsing: "a:1=NodeID-x").id == "NodeID-x")
        #expect(NodeNetworkArguments.Peer(parsing: "a:1").id == nil)
        try NodeNetworkArguments(peers: ["a:1", "b:2"]).validate()
        try NodeNetworkArguments(peers: ["a:1=NodeID-a", "b:2=NodeID-b"]).validate()
        let cases: [(NodeNetworkArguments, String)] = [
            (.init(peers: ["a"]), "--bootstrap-peer 'a' is not HOST:PORT"),
            (.init(peers: ["a:99999"]), "--bootstrap-peer 'a:99999' is not HOST:PORT"),
            (.init(peers: ["a:1=NodeID-a", "b:2"]), "give a node ID with every --bootstrap-peer or with none (1 of 2 have one)"),
            (.init(peers: ["a:1=abc"]), "--bootstrap-peer node ID 'abc' must look like NodeID-…"),
            (.init(publicIPs: ["luxd-0"]), "--public-ip-for 'luxd-0' is not POD=IP"),
            (.init(publicIPResolutionService: "dig"), "--public-ip-resolution-service must be opendns, ifconfigco or ifconfigme"),
            (.init(bootstrapFlag: "bootstrap-ips"), "--bootstrap-flag must start with --"),
            (.init(bootstrapWait: -1), "--bootstrap-wait must not be negative"),
        ]
        for (settings, message) in cases {
            let e = #expect(throws: ChainsnapError.self) { try settings.validate() }
            #expect(e?.code == .invalidArgument)
            #expect(e?.message.hasPrefix(message) == true, "\(e?.message ?? "")")
        }
    }

    @Test("the node's arguments: its public IP by pod name, peers in order with their IDs, itself and unresolved peers left out")
    func arguments() {
        let n = NodeNetworkArguments(publicIPs: ["luxd-0=203.0.113.10", "luxd-1=203.0.113.11"], publicIPResolutionService: "opendns",
                                     peers: ["luxd-0.h:9651=NodeID-0", "luxd-1.h:9651=NodeID-1", "luxd-2.h:9651=NodeID-2"])
        let (args, log) = n.arguments(base: ["--http-port=9650"], selfHost: "luxd-1", resolved: ["10.0.0.1", nil, nil])
        #expect(args == ["--http-port=9650", "--public-ip=203.0.113.11", "--bootstrap-ips=10.0.0.1", "--bootstrap-ids=NodeID-0"])
        #expect(log == "bootstrap peers: 1 of 2 resolved; not resolvable yet, left out: luxd-2.h:9651")
        // No POD=IP entry for this pod: the resolution service; no peers: no log line.
        let alone = NodeNetworkArguments(publicIPs: ["luxd-0=1.2.3.4"], publicIPResolutionService: "opendns")
        let (a2, l2) = alone.arguments(base: [], selfHost: "luxd-9", resolved: [])
        #expect(a2 == ["--public-ip-resolution-service=opendns"])
        #expect(l2 == nil)
        // Nothing resolved: no bootstrap flags at all.
        let none = NodeNetworkArguments(peers: ["x:1"], bootstrapFlag: "--peers")
        #expect(none.arguments(base: [], selfHost: nil, resolved: [nil]).arguments == [])
        #expect(none.arguments(base: [], selfHost: nil, resolved: ["10.1.1.1:1"]).arguments == ["--peers=10.1.1.1:1"])
    }

    @Test("dry-run plan lines and the errors of a supervisor that stopped the node")
    func planAndFailures() {
        let o = SupervisorOptions(executable: "luxd", arguments: ["--a"], endpoints: NodeEndpoints(baseURL: "http://n:9650"),
                                  healthTimeout: 60, aliases: [ChainAlias(parsing: "C=evm")!])
        #expect(o.planLines(importing: nil) == ["node:    luxd --a", "health:  http://n:9650/ext/health within 60 s",
                                                "aliases: C=evm", "import:  none"])
        let e = NodeEndpoints(baseURL: "http://n:9650")
        #expect(SupervisorOutcome.nodeExited(status: 3).failure(endpoints: e) == nil)
        #expect(SupervisorOutcome.neverHealthy(seconds: 60, nodeStatus: 143).failure(endpoints: e)?.message
            == "the node was not healthy at http://n:9650/ext/health after 60 s and was stopped")
        let wrong = SupervisorOutcome.wrongHead(message: "block 5 differs", nodeStatus: 143).failure(endpoints: e)
        #expect(wrong?.code == .chainMismatch)
        #expect(wrong?.message == "block 5 differs; the node was stopped before any alias or import")
    }

    @Test("a command line shown to people is shell-quoted and redacted")
    func display() {
        #expect(SelfExec.display(["rlp", "import", "--work-dir", "/a b", "it's", ""]) == #"chainsnap rlp import --work-dir '/a b' 'it'\''s' ''"#)
        #expect(!SelfExec.display(["--from", "https://h/x?X-Amz-Signature=abcdef"]).contains("abcdef"))
    }

    @Test("the head a restore marker records: none without a marker or a recorded head, an error for an unreadable one")
    func markerHead() throws {
        let t = TempDir("marker")
        #expect(try ExpectedHead.fromRestoreMarker(inTarget: t.path).head == nil)
        let path = t.sub(ReservedNames.marker)
        func write(_ m: RestoreMarker) throws { try JSONEncoder().encode(m).write(to: URL(fileURLWithPath: path)) }
        try write(RestoreMarker(kind: "snapshot", identity: "snap-1", source: "s3://b/p", bytes: 1))
        let (none, note) = try ExpectedHead.fromRestoreMarker(inTarget: t.path)
        #expect(none == nil)
        #expect(note.contains("records no block height and hash; head check skipped"))
        try write(RestoreMarker(kind: "snapshot", identity: "snap-1", source: "s3://b/p", height: 7, blockHash: "0xABCD", bytes: 1))
        let (head, _) = try ExpectedHead.fromRestoreMarker(inTarget: t.path)
        #expect(head?.number == 7)
        #expect(head?.hash == "0xabcd")
        #expect(head?.origin == "snapshot snap-1, marker \(path)")
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        let e = #expect(throws: ChainsnapError.self) { try ExpectedHead.fromRestoreMarker(inTarget: t.path) }
        #expect(e?.code == .corrupt)
    }

    @Test("node status lines: a table row and a JSON line per node, and the failure when any node is behind")
    func statusLines() throws {
        let check = NodeHeightCheck(probes: [NodeProbe(url: "http://a", healthy: true, height: 100, syncing: false),
                                             NodeProbe(url: "http://b", healthy: true, height: 80, syncing: false),
                                             NodeProbe(url: "http://c", healthy: false, error: "refused")], maxLag: 10)
        #expect(check.tableLine(check.probes[0]) == "ok   http://a  healthy=true  height=100  lag=0  synced")
        #expect(check.tableLine(check.probes[2]) == "BAD  http://c  healthy=false  height=-  lag=-  error: refused")
        #expect(try check.jsonLine(check.probes[1]) == #"{"healthy":true,"height":80,"lag":20,"ok":false,"syncing":false,"url":"http://b"}"#)
        #expect(check.failure?.message == "2 of 3 nodes are unhealthy, syncing, unreachable or more than 10 blocks behind 100")
        #expect(NodeHeightCheck(probes: [check.probes[0]], maxLag: 0).failure == nil)
    }

    @Test("the supervised import: a bundle or a legacy export, its rlp import arguments, and the options that do not go together")
    func supervisedImport() throws {
        func plan(from: String? = nil, base: String? = nil, file: String? = nil, parts: String? = nil, network: String? = nil,
                  work: String? = nil, min: UInt64? = nil, timeout: Double? = nil) throws -> SupervisedImport? {
            try SupervisedImport.from(importFrom: from, baseURL: base, file: file, parts: parts, network: network, workDir: work,
                                      minHeight: min, timeout: timeout)
        }
        #expect(try plan() == nil)
        let bundle = try #require(try plan(from: "s3://b", network: "lux", work: "/w", min: 5, timeout: 9.2))
        #expect(bundle.arguments(rpc: "http://n", storeArguments: ["--path-style"]) == [
            "rlp", "import", "--rpc", "http://n", "--from", "s3://b", "--network", "lux", "--work-dir", "/w",
            "--min-height", "5", "--timeout", "10", "--path-style"])
        let legacy = try #require(try plan(base: "https://h/x", file: "f.rlp", parts: "aa,ab", work: "/w"))
        #expect(legacy.arguments(rpc: "http://n", storeArguments: []) == [
            "rlp", "import", "--rpc", "http://n", "--base-url", "https://h/x", "--file", "f.rlp", "--work-dir", "/w", "--parts", "aa,ab"])
        let refused: [(() throws -> SupervisedImport?, String)] = [
            ({ try plan(from: "s3://b", base: "https://h") }, "give --import-from (a bundle) or --import-base-url (a legacy export), not both"),
            ({ try plan(file: "f") }, "--import-file and --import-parts only apply with --import-base-url"),
            ({ try plan(from: "s3://b", work: "/w") }, "--import-from needs --network and --work-dir"),
            ({ try plan(base: "https://h", work: "/w") }, "--import-base-url needs --import-file and --work-dir"),
            ({ try plan(min: 3) }, "--network, --work-dir, --min-height and --import-timeout only apply with --import-from or --import-base-url"),
        ]
        for (body, message) in refused {
            let e = #expect(throws: ChainsnapError.self) { _ = try body() }
            #expect(e?.message == message)
        }
    }
}
