import SnapshotCore

/// A chunk's store object named compactly: its SHA-256 id as 32 bytes and whether it is the lz4
/// or the zstd object (`ChunkInfo.key` is `chunks/ab/<id>.zst` or `.lz4`).
///
/// `snapshot verify` meets the store's listing and the manifests' chunk tables on it: at 500,000
/// chunks a dictionary keyed by 80-byte key strings costs some 75 MB, keyed by this about 25 MB.
struct ChunkName: Hashable, Comparable, Sendable {
    private let digest: ChunkDigest
    private let lz4: Bool

    /// The object a manifest's chunk names (nil for an id that is not 64 lowercase hex digits;
    /// the manifest validator refuses those).
    init?(_ c: ChunkInfo) {
        guard let d = ChunkDigest(id: c.id) else { return nil }
        digest = d
        lz4 = c.codec == "lz4"
    }

    /// The object a store key names, when it is a chunk's: `chunks/<first two>/<id>.zst|.lz4`.
    init?(storeKey key: String) {
        let u = key.utf8
        let prefix = "chunks/".utf8
        guard u.count == prefix.count + 3 + 64 + 4, u.starts(with: prefix) else { return nil }
        let folder = u.dropFirst(prefix.count)
        let idStart = folder.index(folder.startIndex, offsetBy: 3)
        let id = folder[idStart..<folder.index(idStart, offsetBy: 64)]
        guard folder[folder.index(folder.startIndex, offsetBy: 2)] == UInt8(ascii: "/"),
              folder.prefix(2).elementsEqual(id.prefix(2)),
              let d = ChunkDigest(hex: id) else { return nil }
        let ext = u.suffix(4)
        if ext.elementsEqual(".zst".utf8) { lz4 = false } else if ext.elementsEqual(".lz4".utf8) { lz4 = true } else { return nil }
        digest = d
    }

    static func < (a: ChunkName, b: ChunkName) -> Bool {
        a.digest != b.digest ? a.digest < b.digest : !a.lz4 && b.lz4
    }
}
