import Foundation
import Testing

/// `Tests/servers/testnode.py`, a stand-in node's JSON-RPC (blocks from a chain file, imports,
/// aliases, faults on request) on a free 127.0.0.1 port; stopped when released (and with the
/// test process). Needs the package's Python with PyPI `rlp` and `eth-hash`: gate tests with
/// `.requiresPython(TestNode.pythonModules, packages: TestNode.pythonPackages)`.
public final class TestNode: @unchecked Sendable {
    public static let pythonModules = ["rlp", "eth_hash.auto"]
    public static let pythonPackages = "PyPI 'rlp' and 'eth-hash[pycryptodome]'"

    public let port: Int
    let proc: ManagedProcess
    let logDir = TempDir("testnode-log")
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the node with testnode.py's arguments (`--chain FILE --height N`, `--geth`, …).
    public init(_ args: [String]) throws {
        let python = try Requirements.needPython(Self.pythonModules, packages: Self.pythonPackages)
        (proc, port) = try Servers.startReportingPort(
            "the test node", python, [Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "0"] + args,
            logPath: logDir.sub("testnode.log"))
    }

    public func stop() { proc.stop() }

    /// The node's counters (`test_state`: height, imports, aliases…).
    public func state() throws -> [String: Any] {
        let r = try run("curl", ["-s", "-XPOST", url + "/ext/bc/C/rpc", "-H", "Content-Type: application/json",
                                 "-d", #"{"jsonrpc":"2.0","id":1,"method":"test_state","params":[]}"#])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return obj?["result"] as? [String: Any] ?? [:]
    }

    public var height: Int { (try? state()["height"] as? Int) ?? -1 }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test where `TestNode` can start (the package's Python with its modules).
    public static var requiresTestNode: Self {
        .requiresPython(TestNode.pythonModules, packages: TestNode.pythonPackages)
    }
}
