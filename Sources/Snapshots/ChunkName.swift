import SnapshotCore

/// A chunk's store object named compactly: its SHA-256 id as 32 bytes and whether it is the lz4
/// or the zstd object (`ChunkInfo.key` is `chunks/ab/<id>.zst` or `.lz4`).
///
/// `snapshot verify` meets the store's listing and the manifests' chunk tables on it: at 500,000
/// chunks a dictionary keyed by 80-byte key strings costs some 75 MB, keyed by this about 25 MB.
struct ChunkName: Hashable, Sendable {
    private let w0, w1, w2, w3: UInt64
    private let lz4: Bool

    /// The object a manifest's chunk names (nil for an id that is not 64 lowercase hex digits;
    /// the manifest validator refuses those).
    init?(_ c: ChunkInfo) {
        guard let w = Self.words(c.id.utf8) else { return nil }
        (w0, w1, w2, w3) = w
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
              let w = Self.words(id) else { return nil }
        let ext = u.suffix(4)
        if ext.elementsEqual(".zst".utf8) { lz4 = false } else if ext.elementsEqual(".lz4".utf8) { lz4 = true } else { return nil }
        (w0, w1, w2, w3) = w
    }

    /// 64 lowercase hex digits as four big-endian words.
    private static func words<C: Collection>(_ hex: C) -> (UInt64, UInt64, UInt64, UInt64)? where C.Element == UInt8 {
        guard hex.count == 64 else { return nil }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for c in hex {
            let v: UInt64
            switch c {
            case 48...57: v = UInt64(c - 48)
            case 97...102: v = UInt64(c - 87)
            default: return nil
            }
            switch i >> 4 {  // no array: this runs twice per chunk in verify and prune
            case 0: w.0 = w.0 << 4 | v
            case 1: w.1 = w.1 << 4 | v
            case 2: w.2 = w.2 << 4 | v
            default: w.3 = w.3 << 4 | v
            }
            i += 1
        }
        return w
    }
}
