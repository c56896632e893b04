import Foundation
import NodeRPC
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The JSON lines the stand-in node recorded.
func supervisorStandinEvents(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

let supervisorStandinScript = Paths.packageRoot + "/Tests/servers/standin_node.py"

/// Stand-in import step: calls admin_importChain on the node, as the RLP importer does.
struct SupervisorRecordingImport: NodeStartupStep {
    var summary: String { "stand-in import" }
    func run(node: NodeClient) async throws {
        _ = try await node.importChain(file: "/tmp/part-000.rlp")
    }
}

@Suite("Supervisor with a stand-in node", .serialized)
struct SupervisorTests {
    @Test("health → aliases → import, then SIGTERM is passed on and the node's status comes back", .requires("python3"))
    func fullStartup() async throws {
        let tmp = TempDir("sup")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let options = SupervisorOptions(
            executable: "python3",
            arguments: [supervisorStandinScript, "--port", "\(port)", "--record", record, "--healthy-after", "0.5", "--exit-status", "7"],
            endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)"), healthTimeout: 120, healthInterval: 0.1,
            aliases: [ChainAlias(chain: "C", alias: "evm"), ChainAlias(chain: "2q9e", alias: "zoo")], stopGrace: 5,
            forwardSignals: false)
        let lines = SupervisorLineBox()
        let sup = Supervisor(options: options, steps: [SupervisorRecordingImport()], log: { lines.add($0) })
        let outcome = try await sup.run(onStart: { child in
            Thread {
                // Stop the node once the import call arrived, as a pod deletion would (generous deadlines:
                // on a loaded machine the health loop waits for one of the few concurrency threads).
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline, !lines.all.contains(where: { $0.hasPrefix("startup complete") }) { usleep(20_000) }
                child.send(SIGTERM)
            }.start()
        })
        #expect(outcome == .nodeExited(status: 7))
        let events = supervisorStandinEvents(record)
        // eth_blockNumber is the supervisor's progress probe while a slow node is not healthy yet (a loaded machine).
        let calls = events.filter { $0["event"] as? String == "call" && $0["method"] as? String != "eth_blockNumber" }
            .map { "\($0["path"]!) \($0["method"]!)" }
        #expect(calls == ["/ext/admin admin.aliasChain", "/ext/admin admin.aliasChain", "/ext/bc/C/admin admin_importChain"],
                "supervisor said: \(lines.all)")
        let aliasParams = events.compactMap { ($0["params"] as? [[String: String]])?.first }.filter { $0["alias"] != nil }
        #expect(aliasParams == [["chain": "C", "alias": "evm"], ["chain": "2q9e", "alias": "zoo"]])
        #expect(events.last?["event"] as? String == "signal")
        #expect(events.last?["signal"] as? Int == Int(SIGTERM))
        #expect(lines.all.contains { $0.contains("node is healthy") })
    }

    @Test("a node that never gets healthy is stopped and reported after the timeout", .requires("python3"))
    func neverHealthy() async throws {
        let tmp = TempDir("sup")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let options = SupervisorOptions(
            executable: "python3", arguments: [supervisorStandinScript, "--port", "\(port)", "--record", record, "--never-healthy", "--exit-status", "0"],
            endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)"), healthTimeout: 1.5, healthInterval: 0.1,
            aliases: [ChainAlias(chain: "C", alias: "evm")], stopGrace: 5, forwardSignals: false)
        let lines = SupervisorLineBox()
        let started = Date()
        let outcome = try await Supervisor(options: options, steps: [SupervisorRecordingImport()], log: { lines.add($0) }).run()
        let took = Date().timeIntervalSince(started)
        #expect(outcome == .neverHealthy(seconds: 1.5, nodeStatus: 0))
        #expect(took >= 1.5 && took < 10)
        #expect(lines.all.contains { $0.contains("did not report healthy") && $0.contains("--health-timeout") })
        // Never aliased or imported, and the node got SIGTERM.
        let events = supervisorStandinEvents(record)
        #expect(!events.contains { $0["event"] as? String == "call" && $0["method"] as? String != "eth_blockNumber" })
        #expect(events.contains { $0["event"] as? String == "signal" && $0["signal"] as? Int == Int(SIGTERM) })
    }

    @Test("a node slow to become healthy but still advancing is never stopped: it is reported, then supervised", .requires("python3"))
    func slowButAdvancing() async throws {
        let tmp = TempDir("sup")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let options = SupervisorOptions(
            executable: "python3", arguments: [supervisorStandinScript, "--port", "\(port)", "--record", record, "--healthy-after", "8",
                                               "--height", "100", "--advance-per-sec", "20", "--exit-after", "16", "--exit-status", "0"],
            // Windows of 3 s: long enough for Python to start on a loaded machine, short against the 8 s to health.
            endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)"), healthTimeout: 3, healthInterval: 0.1,
            aliases: [ChainAlias(chain: "C", alias: "evm")], stopGrace: 5, forwardSignals: false)
        let lines = SupervisorLineBox()
        let outcome = try await Supervisor(options: options, log: { lines.add($0) }).run()
        #expect(outcome == .nodeExited(status: 0), "\(lines.all)")
        #expect(lines.all.contains { $0.contains("but still advancing") && $0.contains("not stopping it") }, "\(lines.all)")
        #expect(lines.all.contains { $0.contains("node is healthy after") }, "\(lines.all)")
        let events = supervisorStandinEvents(record)
        #expect(!events.contains { $0["event"] as? String == "signal" }, "the supervisor signalled a node that was advancing")
        #expect(events.contains { $0["method"] as? String == "admin.aliasChain" })
    }

    @Test("a node that stops advancing before it is healthy is stopped once a window passes without progress", .requires("python3"))
    func stuckBeforeHealthy() async throws {
        let tmp = TempDir("sup")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let options = SupervisorOptions(
            executable: "python3", arguments: [supervisorStandinScript, "--port", "\(port)", "--record", record, "--never-healthy",
                                               "--height", "100", "--advance-per-sec", "20", "--advance-for", "5", "--exit-status", "0"],
            endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)"), healthTimeout: 3, healthInterval: 0.1, stopGrace: 5, forwardSignals: false)
        let lines = SupervisorLineBox()
        let outcome = try await Supervisor(options: options, log: { lines.add($0) }).run()
        #expect(outcome == .neverHealthy(seconds: 3, nodeStatus: 0), "\(lines.all)")
        #expect(lines.all.contains { $0.contains("but still advancing") }, "it was given more time while it advanced: \(lines.all)")
        #expect(lines.all.contains { $0.contains("did not advance since the last check") }, "\(lines.all)")
    }

    @Test("a node that ignores SIGTERM is killed after the grace period", .requires("python3"))
    func killAfterGrace() async throws {
        let tmp = TempDir("sup")
        let port = Servers.freePort()
        let options = SupervisorOptions(
            executable: "python3",
            arguments: [supervisorStandinScript, "--port", "\(port)", "--record", tmp.sub("r.jsonl"), "--never-healthy", "--ignore-sigterm"],
            endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)"), healthTimeout: 2, healthInterval: 0.1,
            stopGrace: 1, forwardSignals: false)
        let outcome = try await Supervisor(options: options, log: { _ in }).run()
        #expect(outcome == .neverHealthy(seconds: 2, nodeStatus: 128 + SIGKILL))
    }

    @Test("a node that cannot be started is a clear error")
    func missingProgram() async throws {
        let options = SupervisorOptions(executable: "/nonexistent/luxd", arguments: [], endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:1"))
        await #expect(throws: (any Error).self) { _ = try await Supervisor(options: options, log: { _ in }).run() }
    }

    @Test("bootstrap peers: names resolve to IP:PORT, the pod itself and unresolvable names are skipped")
    func peers() {
        let (ok, skipped) = SupervisorPeers.resolve(
            ["localhost:9651", "luxd-0.luxd-headless.lux.svc.cluster.local:9651", "no-such-host.invalid:9651", "bad"],
            selfHost: "luxd-0")
        #expect(ok == ["127.0.0.1:9651"] || ok == ["[::1]:9651"])
        #expect(skipped == ["luxd-0.luxd-headless.lux.svc.cluster.local:9651", "no-such-host.invalid:9651", "bad"])
    }

    @Test("CHAIN=ALIAS parsing and wait-status decoding")
    func parsing() {
        #expect(ChainAlias(parsing: "C=evm") == ChainAlias(chain: "C", alias: "evm"))
        #expect(ChainAlias(parsing: "C") == nil)
        #expect(ChainAlias(parsing: "=x") == nil)
        #expect(ChainAlias(parsing: "C=") == nil)
        #expect(SupervisedChild.exitCode(fromWaitStatus: 7 << 8) == 7)
        #expect(SupervisedChild.exitCode(fromWaitStatus: 9) == 137)
    }
}

final class SupervisorLineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}
