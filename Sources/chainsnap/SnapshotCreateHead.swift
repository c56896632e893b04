import NodeRPC
import SnapshotCore

/// `snapshot create --rpc URL`: the node's head at snapshot time, for the manifest's
/// `source.height` and `source.blockHash` (what `node supervise --expect-head-from` checks).
enum SnapshotCreateHead {
    /// The height (given, or the node's `eth_blockNumber`) and that block's hash from
    /// `eth_getBlockByNumber`. A `--block-hash` that disagrees with the node is an error.
    static func read(rpc: String, rpcPath: String, height: UInt64?, blockHash: String?) async throws -> (UInt64, String) {
        let node = NodeClient(endpoints: NodeEndpoints(baseURL: rpc, rpcPath: rpcPath), timeout: 30)
        let n: UInt64
        if let height { n = height } else { n = try await node.blockNumber() }
        guard let head = try await node.blockHead(n) else {
            throw ChainsnapError(.rpc, "the node at \(rpc) does not have block \(n)", object: rpc,
                                 hint: "give the height the data folder is at with --height, or drop --rpc")
        }
        if let given = blockHash, ExpectedHead(number: n, hash: given, origin: "").hash != head.hash {
            throw ChainsnapError(.chainMismatch, "--block-hash \(given) is not the node's block \(n) (\(head.hash))", object: rpc,
                                 hint: "drop --block-hash to take the node's, or check which node --rpc points at")
        }
        return (n, head.hash)
    }
}
