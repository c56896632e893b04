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

/// A manifest's chunk table sorted by digest: finds a chunk's table index by its id in
/// O(log n), in 40 bytes a chunk (a dictionary keyed by the id strings took 64–128).
public struct ChunkTableIndex: Sendable {
    private let sorted: [(digest: ChunkDigest, index: Int32)]

    /// Indexes `table`; ids that are not 64 lowercase hex digits are left out (the manifest
    /// validator refuses them).
    public init(_ table: [ChunkInfo]) {
        var out: [(digest: ChunkDigest, index: Int32)] = []
        out.reserveCapacity(table.count)
        for (i, c) in table.enumerated() { if let d = ChunkDigest(id: c.id) { out.append((d, Int32(truncatingIfNeeded: i))) } }
        out.sort { $0.digest != $1.digest ? $0.digest < $1.digest : $0.index < $1.index }
        sorted = out
    }

    /// The table index of the chunk with digest `d` (the first, if the table lists it twice).
    public func index(of d: ChunkDigest) -> Int? {
        let k = sorted.partitionPoint { $0.digest < d }
        return k < sorted.count && sorted[k].digest == d ? Int(sorted[k].index) : nil
    }

    /// The table index of the chunk with id `id`.
    public func index(of id: String) -> Int? { ChunkDigest(id: id).flatMap { index(of: $0) } }

    /// Table indexes in the order of their ids, each id once.
    public var indexesByID: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(sorted.count)
        for (k, s) in sorted.enumerated() where k == 0 || sorted[k - 1].digest != s.digest { out.append(s.index) }
        return out
    }
}

extension RandomAccessCollection {
    /// The first index whose element is not `below`, by binary search, in a collection ordered so
    /// that every element that is `below` comes first (`endIndex` when all are).
    @inlinable
    public func partitionPoint(below: (Element) throws -> Bool) rethrows -> Index {
        var lo = startIndex, n = count
        while n > 0 {
            let half = n / 2
            let mid = index(lo, offsetBy: half)
            if try below(self[mid]) { lo = index(after: mid); n -= half + 1 } else { n = half }
        }
        return lo
    }
}
