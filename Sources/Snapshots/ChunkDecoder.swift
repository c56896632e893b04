import Codecs
import SnapshotCore

/// Turns a stored chunk back into its bytes, checking its stored length, that it decompresses
/// to exactly its size, and that those bytes hash to its id. Restore and `verify --deep` share it.
enum ChunkDecoder {
    static func decode(_ info: ChunkInfo, stored: [UInt8], contexts: ContextPool) throws -> [UInt8] {
        guard stored.count == Int(info.stored) else {
            throw ChainsnapError(.corrupt, "chunk \(info.id) is \(stored.count) bytes in the store, the manifest says \(info.stored) (truncated or replaced)",
                                 object: info.key, hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'")
        }
        let ctx = contexts.take()
        defer { contexts.give(ctx) }
        let raw: [UInt8]
        do {
            raw = try [UInt8](unsafeUninitializedCapacity: Int(info.size)) { o, n in
                n = 0
                n = try stored.withUnsafeBytes { s in
                    try ctx.decompress(s, codec: info.codec, expectedSize: Int(info.size), into: UnsafeMutableRawBufferPointer(o))
                }
            }
        } catch {
            throw ChainsnapError(.corrupt, "chunk \(info.id) does not decompress", object: info.key,
                                 hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'",
                                 underlying: error)
        }
        let hash = SHA256Hasher.hex(raw)
        guard hash == info.id else {
            throw ChainsnapError(.corrupt, "chunk \(info.id) is corrupt: its content hashes to \(hash)", object: info.key,
                                 hint: "the store's copy is damaged; restore another snapshot, and run 'chainsnap snapshot verify --deep'")
        }
        return raw
    }
}
