import Foundation
import NodeRPC
import SnapshotCore
import Testing
import TestSupport

/// Tests/servers/testnode.py for the client tests (killed on deinit).
final class RPCTestNode: @unchecked Sendable {
    let process = Process()
    let port: Int

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
        process.executableURL = URL(fileURLWithPath: py)
        process.arguments = [Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "0"] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        guard let p = String(decoding: line, as: UTF8.self).split(separator: "\n").first?.split(separator: " ").last.flatMap({ Int($0) }) else {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        port = p
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
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
