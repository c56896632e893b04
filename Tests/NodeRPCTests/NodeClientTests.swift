import Foundation
import NodeRPC
import SnapshotCore
import Testing
import TestSupport

/// Tests/servers/testnode.py for the client tests (killed on deinit, and with the test process).
final class RPCTestNode: @unchecked Sendable {
    let proc: ManagedProcess
    let port: Int
    let logDir = TempDir("rpcnode-log")

    static var python: String? {
        let p = Paths.packageRoot + "/.venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: p),
              (try? run(p, ["-c", "import rlp, eth_hash.auto"]).status) == 0 else {
            if ProcessInfo.processInfo.environment["CHAINSNAP_REQUIRE_SERVERS"] == "1" {
                Issue.record("./.venv with PyPI 'rlp' and 'eth-hash' is missing; run scripts/setup.sh")
            }
            return nil
        }
        return p
    }

    init?(_ args: [String]) throws {
        guard let py = Self.python else { return nil }
        let pipe = Pipe()
        proc = try ManagedProcess(py, [Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "0"] + args,
                                  logPath: logDir.sub("node.log"), stdoutPipe: pipe, killImmediately: true)
        // "PORT <n>", read with read(2) retrying EINTR (FileHandle reads trap on EINTR).
        var line = ""
        let deadline = Date().addingTimeInterval(20)
        var buf = [UInt8](repeating: 0, count: 256)
        let fd = pipe.fileHandleForReading.fileDescriptor
        while !line.contains("\n") && Date() < deadline {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            line += String(decoding: buf[0..<n], as: UTF8.self)
        }
        guard let p = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            proc.stop()
            return nil
        }
        port = p
    }

    var url: String { "http://127.0.0.1:\(port)" }
}

@Suite struct NodeClientTests {
    var chain: String? {
        guard let f = Paths.sharedFixtures else { return nil }
        let p = f + "/rlp/execution-apis/chain.rlp"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    @Test func readsHeightHeadsAndRawBlocksInBatches() async throws {
        guard let chain else { return }
        guard let node = try RPCTestNode(["--chain", chain, "--height", "40"]) else { return }
        let c = NodeClient(endpoints: NodeEndpoints(baseURL: node.url))
        #expect(try await c.blockNumber() == 40)
        #expect(await c.isHealthy())
        let head = try await c.blockHead(40)
        #expect(head?.number == 40)
        #expect(head?.hash.hasPrefix("0x") == true)
        #expect(try await c.blockHead(41) == nil)
        #expect(try await c.blockHead(nil)?.number == 40)
        let raws = try await c.rawBlocks(Array(1...10))
        #expect(raws.count == 10)
        // Each answer is a block: an RLP list.
        #expect(raws.allSatisfy { ($0.first ?? 0) >= 0xf8 })
        // The first 10 raw blocks are the first bytes of the chain file.
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: chain)))
        #expect(Array(file.prefix(raws.reduce(0) { $0 + $1.count })) == raws.flatMap { $0 })
    }

    @Test func errorsNameTheMethodAndCarryTheNodesMessage() async throws {
        guard let chain else { return }
        guard let node = try RPCTestNode(["--chain", chain, "--height", "5"]) else { return }
        let c = NodeClient(endpoints: NodeEndpoints(baseURL: node.url))
        do {
            _ = try await c.rawBlocks([4, 5, 6])
            Issue.record("a missing block was returned")
        } catch let e as ChainsnapError {
            #expect(e.code == .rpc)
            #expect(e.message.contains("debug_getRawBlock"))
            #expect(e.message.contains("#6 not found"), "\(e.message)")
        }
        do {
            _ = try await c.importChain(file: "/nonexistent/x.rlp")
            Issue.record("import of a missing file succeeded")
        } catch let e as ChainsnapError {
            #expect(e.message.contains("admin_importChain"))
        }
        // A wrong path is a 404-free JSON-RPC error naming the method; geth paths work on a geth-style node.
        let wrong = NodeClient(endpoints: NodeEndpoints.geth(node.url))
        await #expect(throws: ChainsnapError.self) { _ = try await wrong.blockNumber() }
        guard let geth = try RPCTestNode(["--chain", chain, "--height", "3", "--geth"]) else { return }
        #expect(try await NodeClient(endpoints: .geth(geth.url)).blockNumber() == 3)
    }

    @Test func importChainAndAliases() async throws {
        guard let chain else { return }
        guard let node = try RPCTestNode(["--chain", chain, "--height", "0"]) else { return }
        let c = NodeClient(endpoints: NodeEndpoints(baseURL: node.url))
        try await c.aliasChain(chain: "C", alias: "evm")
        #expect(try await c.importChain(file: chain))
        #expect(try await c.blockNumber() == 54)
    }
}
