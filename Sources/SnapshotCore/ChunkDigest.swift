/// A chunk's SHA-256 id as four big-endian words, parsed from its 64 lowercase hex digits.
///
/// Thirty-two bytes with no allocation, where the id's `String` costs about 112 (a 64-byte heap
/// string): the form in which a chunk id is a dictionary key or a sort key at 500,000 chunks.
/// Words compare in the order of the hex text, so sorting digests sorts ids.
public struct ChunkDigest: Hashable, Comparable, Sendable {
    public let w0, w1, w2, w3: UInt64

    /// The digest of `hex`, or nil unless it is exactly 64 lowercase hex digits.
    @inlinable
    public init?<C: Collection>(hex: C) where C.Element == UInt8 {
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
            switch i >> 4 {  // no array: this runs for every chunk id and every extent read
            case 0: w.0 = w.0 << 4 | v
            case 1: w.1 = w.1 << 4 | v
            case 2: w.2 = w.2 << 4 | v
            default: w.3 = w.3 << 4 | v
            }
            i += 1
        }
        (w0, w1, w2, w3) = w
    }

    /// The digest of a chunk id string (nil unless it is 64 lowercase hex digits).
    @inlinable
    public init?(id: String) { self.init(hex: id.utf8) }

    public static func < (a: ChunkDigest, b: ChunkDigest) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}
