import Foundation
import LocalFS
import RestoreCore
import SnapshotCore

extension NodeClient {
    /// The head to record in a snapshot's manifest (`snapshot create --rpc`): the block at
    /// `height` (the node's `eth_blockNumber` when nil) and its hash. A `blockHash` that
    /// disagrees with the node's is a `.chainMismatch` error, a block the node lacks an `.rpc` one.
    public func headToRecord(height: UInt64?, blockHash: String?) async throws -> BlockHead {
        let rpc = endpoints.baseURL
        let n: UInt64
        if let height { n = height } else { n = try await blockNumber() }
        guard let head = try await blockHead(n) else {
            throw ChainsnapError(.rpc, "the node at \(rpc) does not have block \(n)", object: rpc,
                                 hint: "give the height the data folder is at with --height, or drop --rpc")
        }
        if let given = blockHash, ExpectedHead(number: n, hash: given, origin: "").hash != head.hash {
            throw ChainsnapError(.chainMismatch, "--block-hash \(given) is not the node's block \(n) (\(head.hash))", object: rpc,
                                 hint: "drop --block-hash to take the node's, or check which node --rpc points at")
        }
        return BlockHead(number: n, hash: head.hash)
    }
}

extension ExpectedHead {
    /// The head the restore marker in the restore target `dir` recorded (`node supervise
    /// --expect-head-from DIR`), or nil with the reason (for the log) when DIR holds no restore of
    /// a snapshot that recorded one. An unreadable marker is an error: the node is not started.
    public static func fromRestoreMarker(inTarget dir: String) throws -> (head: ExpectedHead?, note: String) {
        let path = FS.absolute(dir) + "/" + ReservedNames.marker
        guard FS.exists(path) else {
            return (nil, "no restore marker at \(path) (the data was not restored by chainsnap); head check skipped")
        }
        let marker: RestoreMarker
        do {
            marker = try JSONDecoder().decode(RestoreMarker.self, from: Data(FS.readFile(path)))
        } catch {
            throw ChainsnapError(.corrupt, "the restore marker \(path) cannot be read, so the restored head cannot be checked",
                                 object: path, hint: "restore the data again (chainsnap node prepare-data), or drop --expect-head-from",
                                 underlying: error)
        }
        guard let height = marker.height, let hash = marker.blockHash, !hash.isEmpty else {
            return (nil, "the restore marker at \(path) (\(marker.identity)) records no block height and hash; head check skipped "
                + "(create snapshots with --rpc, or --height and --block-hash, to have them checked)")
        }
        let head = ExpectedHead(number: height, hash: hash, origin: "\(marker.kind) \(marker.identity), marker \(path)")
        return (head, "expecting block \(height) with hash \(head.hash) once the node is healthy (\(marker.identity))")
    }
}
