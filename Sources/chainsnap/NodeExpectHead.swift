import Foundation
import LocalFS
import NodeRPC
import RestoreCore
import SnapshotCore

/// `node supervise --expect-head-from DIR`: the head the restore marker in DIR recorded.
enum NodeExpectHead {
    /// The expected head, or nil (with the reason, for the log) when DIR holds no restore of a
    /// snapshot that recorded one. An unreadable marker is an error: the node is not started.
    static func read(from dir: String) throws -> (head: ExpectedHead?, note: String) {
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
