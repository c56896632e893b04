import SnapshotCore

extension ChainsnapError.Code {
    /// Malformed RLP: the message carries the byte offset.
    public static let malformedRLP = ChainsnapError.Code("malformed-rlp")
}

/// The prefix of one RLP item: whether it is a list, and where its payload sits.
public struct RLPHeader: Sendable, Equatable {
    public var isList: Bool
    /// Bytes of the prefix (1 for short items, 1 + length-of-length for long ones).
    public var headerSize: Int
    /// Bytes of the payload after the prefix.
    public var payloadSize: Int
    /// For a single byte below 0x80 the item is the byte itself (header 0, payload 1).
    public var totalSize: Int { headerSize + payloadSize }
}

/// Recursive-length-prefix decoding (Ethereum's yellow paper, appendix B), strict about
/// canonical form the way geth's `rlp` package is: long forms only for 56 bytes and more,
/// no leading zeros in lengths, single bytes below 0x80 not wrapped.
public enum RLP {
    /// Largest item accepted; anything claiming more is reported as oversized rather than allocated.
    public static let maxItemSize = 1 << 30

    /// Outcome of reading a prefix from a buffer that may end early.
    public enum HeaderResult: Equatable {
        case header(RLPHeader)
        /// More bytes are needed to read the prefix itself.
        case needMore
    }

    /// Reads the prefix at `p[0..<count]`. `offset` is only for error messages.
    @inline(__always)
    public static func readHeader(_ p: UnsafeRawPointer, count: Int, offset: Int64) throws -> HeaderResult {
        guard count > 0 else { return .needMore }
        let b = p.load(as: UInt8.self)
        switch b {
        case 0x00...0x7f:
            return .header(RLPHeader(isList: false, headerSize: 0, payloadSize: 1))
        case 0x80...0xb7:
            let n = Int(b - 0x80)
            if n == 1 {
                // A single byte below 0x80 must encode as itself.
                guard count >= 2 else { return .needMore }
                if p.load(fromByteOffset: 1, as: UInt8.self) < 0x80 {
                    throw malformed("single byte below 0x80 wrapped in a string prefix (non-canonical)", offset)
                }
            }
            return .header(RLPHeader(isList: false, headerSize: 1, payloadSize: n))
        case 0xb8...0xbf:
            return try longHeader(p, count: count, lenOfLen: Int(b - 0xb7), isList: false, offset: offset)
        case 0xc0...0xf7:
            return .header(RLPHeader(isList: true, headerSize: 1, payloadSize: Int(b - 0xc0)))
        default:
            return try longHeader(p, count: count, lenOfLen: Int(b - 0xf7), isList: true, offset: offset)
        }
    }

    @inline(__always)
    static func longHeader(_ p: UnsafeRawPointer, count: Int, lenOfLen: Int, isList: Bool, offset: Int64) throws -> HeaderResult {
        guard count >= 1 + lenOfLen else { return .needMore }
        if p.load(fromByteOffset: 1, as: UInt8.self) == 0 {
            throw malformed("length of \(isList ? "list" : "string") has leading zero bytes (non-canonical)", offset)
        }
        // lenOfLen is 1…8, so the declared length always fits a UInt64: read it whole, then judge it.
        var declared: UInt64 = 0
        for i in 1...lenOfLen { declared = declared << 8 | UInt64(p.load(fromByteOffset: i, as: UInt8.self)) }
        if declared > UInt64(maxItemSize) {
            throw malformed("\(isList ? "list" : "string") declares \(declared) bytes, more than the \(maxItemSize) allowed (oversized item)", offset)
        }
        let size = Int(declared)
        if size < 56 {
            throw malformed("\(isList ? "list" : "string") of \(size) bytes uses the long form (non-canonical)", offset)
        }
        if size > maxItemSize {
            throw malformed("\(isList ? "list" : "string") declares \(size) bytes, more than the \(maxItemSize) allowed (oversized item)", offset)
        }
        return .header(RLPHeader(isList: isList, headerSize: 1 + lenOfLen, payloadSize: size))
    }

    /// Reads a complete prefix; running out of bytes is an error (the item is truncated).
    @inline(__always)
    public static func header(_ p: UnsafeRawPointer, count: Int, offset: Int64) throws -> RLPHeader {
        switch try readHeader(p, count: count, offset: offset) {
        case .header(let h):
            guard h.totalSize <= count else {
                throw malformed("item is truncated (needs \(h.totalSize) bytes, \(count) left)", offset)
            }
            return h
        case .needMore:
            throw malformed("item is truncated (its prefix runs past the end)", offset)
        }
    }

    public static func malformed(_ what: String, _ offset: Int64) -> ChainsnapError {
        ChainsnapError(.malformedRLP, "malformed RLP at byte offset \(offset): \(what)", object: "offset \(offset)",
                       hint: "the stream is damaged or is not an RLP block export; check the file (chainsnap rlp inspect) and fetch it again")
    }

    /// Reads a big-endian unsigned integer of at most 8 bytes from a string payload.
    /// Callers check canonical form first (`hasLeadingZero`): geth refuses integers with leading zero bytes.
    @inline(__always)
    public static func uint(_ p: UnsafeRawPointer, count: Int) -> UInt64? {
        guard count <= 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<count { v = v << 8 | UInt64(p.load(fromByteOffset: i, as: UInt8.self)) }
        return v
    }

    /// Whether an integer payload starts with a zero byte: non-canonical (zero is the empty string).
    @inline(__always)
    public static func hasLeadingZero(_ p: UnsafeRawPointer, count: Int) -> Bool {
        count > 0 && p.load(as: UInt8.self) == 0
    }
}

/// A fully decoded RLP value, for tests, small messages and building blocks.
public indirect enum RLPValue: Equatable, Sendable {
    case bytes([UInt8])
    case list([RLPValue])

    /// Decodes exactly one item that must fill `bytes`.
    public static func decode(_ bytes: [UInt8]) throws -> RLPValue {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { throw RLP.malformed("empty input", 0) }
            let (v, used) = try decodeItem(base, count: raw.count, offset: 0)
            guard used == raw.count else { throw RLP.malformed("\(raw.count - used) bytes after the item", Int64(used)) }
            return v
        }
    }

    static func decodeItem(_ p: UnsafeRawPointer, count: Int, offset: Int64) throws -> (RLPValue, Int) {
        let h = try RLP.header(p, count: count, offset: offset)
        if !h.isList {
            if h.headerSize == 0 { return (.bytes([p.load(as: UInt8.self)]), 1) }
            return (.bytes(Array(UnsafeRawBufferPointer(start: p + h.headerSize, count: h.payloadSize))), h.totalSize)
        }
        var items: [RLPValue] = []
        var pos = h.headerSize
        while pos < h.totalSize {
            let (v, n) = try decodeItem(p + pos, count: h.totalSize - pos, offset: offset + Int64(pos))
            items.append(v)
            pos += n
        }
        return (.list(items), h.totalSize)
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .bytes(let b):
            if b.count == 1 && b[0] < 0x80 { out.append(b[0]); return }
            Self.appendLength(b.count, short: 0x80, long: 0xb7, into: &out)
            out.append(contentsOf: b)
        case .list(let items):
            var body: [UInt8] = []
            for i in items { i.encode(into: &body) }
            Self.appendLength(body.count, short: 0xc0, long: 0xf7, into: &out)
            out.append(contentsOf: body)
        }
    }

    static func appendLength(_ n: Int, short: UInt8, long: UInt8, into out: inout [UInt8]) {
        if n < 56 { out.append(short + UInt8(n)); return }
        var be: [UInt8] = []
        var v = n
        while v > 0 { be.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
        out.append(long + UInt8(be.count))
        out.append(contentsOf: be)
    }

    /// An unsigned integer as a minimal big-endian string (0 is the empty string).
    public static func uint(_ v: UInt64) -> RLPValue {
        var be: [UInt8] = []
        var x = v
        while x > 0 { be.insert(UInt8(x & 0xff), at: 0); x >>= 8 }
        return .bytes(be)
    }
}
