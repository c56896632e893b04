import Codecs
import SnapshotCore

/// What the scanner learns about one block without decoding its transactions.
public struct BlockInfo: Sendable, Equatable {
    public var number: UInt64
    /// Keccak-256 of the header's RLP bytes.
    public var hash: Hash32
    public var parentHash: Hash32
    /// Seconds since the Unix epoch (header field 11).
    public var timestamp: UInt64
    /// Byte offset of the block in the stream.
    public var offset: Int64
    /// Bytes of the block's RLP.
    public var size: Int
    /// Number of header fields (15 before London, 16 London, 17 Shanghai, 20 Cancun, 21 Prague).
    public var headerFields: Int

    public init(number: UInt64, hash: Hash32, parentHash: Hash32, timestamp: UInt64, offset: Int64, size: Int, headerFields: Int) {
        self.number = number
        self.hash = hash
        self.parentHash = parentHash
        self.timestamp = timestamp
        self.offset = offset
        self.size = size
        self.headerFields = headerFields
    }
}

/// Walks a stream of concatenated RLP blocks (what `geth export` writes) fed in pieces of
/// any size, and reports each complete block with its raw bytes.
///
/// Only the block's outer list, its header fields and its top-level items are looked at:
/// transactions are not decoded. Results do not depend on how the input is cut (feed one
/// byte at a time or a whole file at once). Blocks that lie whole inside a fed buffer are
/// handed out in place, without copying; only a block that straddles two buffers is copied.
public final class RLPBlockScanner {
    /// Blocks larger than this are reported as oversized (garbage would otherwise ask for gigabytes).
    public let maxBlockSize: Int
    /// Stream offset of the next byte not yet part of a complete block.
    public private(set) var offset: Int64
    /// Blocks seen so far.
    public private(set) var blockCount = 0
    private var carry: [UInt8] = []

    public init(maxBlockSize: Int = 256 << 20, startOffset: Int64 = 0) {
        self.maxBlockSize = maxBlockSize
        self.offset = startOffset
    }

    /// Bytes held from an incomplete block at the end of the last `feed`.
    public var pendingBytes: Int { carry.count }

    /// Scans `input`; calls `onBlock` for every block completed by it, in order.
    public func feed(_ input: UnsafeRawBufferPointer, _ onBlock: (BlockInfo, UnsafeRawBufferPointer) throws -> Void) throws {
        guard var p = input.baseAddress, input.count > 0 else { return }
        var left = input.count
        if !carry.isEmpty {
            // Finish the straddling block first: its prefix, then its body.
            var total = -1
            while true {
                let r = try carry.withUnsafeBytes { try RLP.readHeader($0.baseAddress!, count: $0.count, offset: offset) }
                if case .header(let h) = r { total = try checkTopLevel(h); break }
                guard left > 0 else { return }
                carry.append(p.load(as: UInt8.self))
                p += 1
                left -= 1
            }
            let need = min(total - carry.count, left)
            if need > 0 {
                carry.reserveCapacity(total)
                carry.append(contentsOf: UnsafeRawBufferPointer(start: p, count: need))
                p += need
                left -= need
            }
            guard carry.count == total else { return }
            try carry.withUnsafeBytes { b in
                let info = try Self.parseBlock(b.baseAddress!, count: total, offset: offset)
                try onBlock(info, b)
            }
            offset += Int64(total)
            blockCount += 1
            carry.removeAll(keepingCapacity: total <= 4 << 20)
        }
        while left > 0 {
            switch try RLP.readHeader(p, count: left, offset: offset) {
            case .needMore:
                carry.append(contentsOf: UnsafeRawBufferPointer(start: p, count: left))
                return
            case .header(let h):
                let total = try checkTopLevel(h)
                guard total <= left else {
                    carry.reserveCapacity(total)
                    carry.append(contentsOf: UnsafeRawBufferPointer(start: p, count: left))
                    return
                }
                let info = try Self.parseBlock(p, count: total, offset: offset)
                try onBlock(info, UnsafeRawBufferPointer(start: p, count: total))
                p += total
                left -= total
                offset += Int64(total)
                blockCount += 1
            }
        }
    }

    public func feed(_ input: [UInt8], _ onBlock: (BlockInfo, UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try feed($0, onBlock) }
    }

    /// Call after the last input: an incomplete block left over means the stream is truncated.
    public func finish() throws {
        guard carry.isEmpty else {
            let declared = try? carry.withUnsafeBytes { try RLP.readHeader($0.baseAddress!, count: $0.count, offset: offset) }
            if case .header(let h)? = declared {
                throw RLP.malformed("block is truncated (needs \(h.totalSize) bytes, \(carry.count) left)", offset)
            }
            throw RLP.malformed("stream ends inside a block prefix (\(carry.count) bytes left)", offset)
        }
    }

    private func checkTopLevel(_ h: RLPHeader) throws -> Int {
        guard h.isList else { throw RLP.malformed("top-level item is not a list (not a block)", offset) }
        guard h.totalSize <= maxBlockSize else {
            throw RLP.malformed("block declares \(h.totalSize) bytes, more than the \(maxBlockSize) allowed (oversized item)", offset)
        }
        return h.totalSize
    }

    /// Reads one complete block at `p[0..<count]`: header fields, hash, and that its items tile exactly.
    public static func parseBlock(_ p: UnsafeRawPointer, count: Int, offset: Int64) throws -> BlockInfo {
        let outer = try RLP.header(p, count: count, offset: offset)
        guard outer.isList, outer.totalSize == count else { throw RLP.malformed("top-level item is not a list (not a block)", offset) }
        let hp = p + outer.headerSize
        let hOff = offset + Int64(outer.headerSize)
        let hh = try RLP.header(hp, count: count - outer.headerSize, offset: hOff)
        guard hh.isList else { throw RLP.malformed("block's first item is not a header list", hOff) }

        var parent = Hash32.zero
        var number: UInt64 = 0
        var timestamp: UInt64 = 0
        var fields = 0
        var pos = hh.headerSize
        let end = hh.totalSize
        while pos < end {
            let f = try RLP.header(hp + pos, count: end - pos, offset: hOff + Int64(pos))
            let payload = hp + pos + f.headerSize
            switch fields {
            case 0:
                guard !f.isList, f.payloadSize == 32 else {
                    throw RLP.malformed("header field 0 (parent hash) is not 32 bytes", hOff + Int64(pos))
                }
                parent = Hash32(payload)
            case 8, 11:
                if !f.isList && RLP.hasLeadingZero(payload, count: f.payloadSize) {
                    throw RLP.malformed("header field \(fields) (\(fields == 8 ? "number" : "timestamp")) has leading zero bytes (non-canonical integer)",
                                        hOff + Int64(pos))
                }
                guard !f.isList, let v = RLP.uint(payload, count: f.payloadSize) else {
                    throw RLP.malformed("header field \(fields) (\(fields == 8 ? "number" : "timestamp")) is not an integer of at most 8 bytes",
                                        hOff + Int64(pos))
                }
                if fields == 8 { number = v } else { timestamp = v }
            default:
                break
            }
            fields += 1
            pos += f.totalSize
        }
        guard fields >= 12 else { throw RLP.malformed("block header has only \(fields) fields", hOff) }
        // The remaining block items (transactions, uncles, withdrawals…) must tile the block exactly.
        pos = outer.headerSize + hh.totalSize
        while pos < count {
            let item = try RLP.header(p + pos, count: count - pos, offset: offset + Int64(pos))
            pos += item.totalSize
        }
        let hash = Keccak256.hash(UnsafeRawBufferPointer(start: hp, count: hh.totalSize))
        return BlockInfo(number: number, hash: hash, parentHash: parent, timestamp: timestamp,
                         offset: offset, size: count, headerFields: fields)
    }
}
