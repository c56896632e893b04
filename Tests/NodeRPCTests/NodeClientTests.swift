import Foundation
import NodeRPC
import SnapshotCore
import Testing
import TestSupport

@Suite(.requiresSharedFixture("rlp/execution-apis/chain.rlp"), .requiresTestNode)
struct NodeClientTests {
    var chain: String { Paths.sharedFixture("rlp/execution-apis/chain.rlp")! }

    @Test func readsHeightHeadsAndRawBlocksInBatches() async throws {
        let node = try TestNode(["--chain", chain, "--height", "40"])
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
        let node = try TestNode(["--chain", chain, "--height", "5"])
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
        let geth = try TestNode(["--chain", chain, "--height", "3", "--geth"])
        #expect(try await NodeClient(endpoints: .geth(geth.url)).blockNumber() == 3)
    }

    @Test func importChainAndAliases() async throws {
        let node = try TestNode(["--chain", chain, "--height", "0"])
        let c = NodeClient(endpoints: NodeEndpoints(baseURL: node.url))
        try await c.aliasChain(chain: "C", alias: "evm")
        #expect(try await c.importChain(file: chain))
        #expect(try await c.blockNumber() == 54)
    }
}
