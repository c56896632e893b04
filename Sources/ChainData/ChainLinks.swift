import Codecs

/// A place where a block does not follow the previous one.
public struct LinkBreak: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The number is not the previous number + 1 (blocks missing, repeated or out of order).
        case numberGap = "gap"
        /// The parent hash is not the previous block's hash.
        case parentMismatch = "parent-mismatch"
    }
    public var kind: Kind
    public var previousNumber: UInt64
    public var previousHash: Hash32
    public var number: UInt64
    public var parentHash: Hash32
    /// Byte offset of the block in its stream.
    public var offset: Int64

    public var description: String {
        switch kind {
        case .numberGap:
            return "block #\(number) at offset \(offset) follows #\(previousNumber)"
                + (number > previousNumber ? " (blocks #\(previousNumber + 1)…#\(number - 1) missing)" : "")
        case .parentMismatch:
            return "block #\(number) at offset \(offset): parent hash \(parentHash) is not the hash of #\(previousNumber) (\(previousHash))"
        }
    }
}

/// Checks that each block follows the previous one: number + 1 and parent hash = previous hash.
public struct ChainLinkChecker: Sendable {
    public private(set) var last: (number: UInt64, hash: Hash32)?

    public init(after last: (number: UInt64, hash: Hash32)? = nil) { self.last = last }

    /// Records `b`; returns the break if it does not follow the previous block.
    public mutating func add(_ b: BlockInfo) -> LinkBreak? {
        defer { last = (b.number, b.hash) }
        guard let prev = last else { return nil }
        if b.number != prev.number &+ 1 {
            return LinkBreak(kind: .numberGap, previousNumber: prev.number, previousHash: prev.hash,
                             number: b.number, parentHash: b.parentHash, offset: b.offset)
        }
        if b.parentHash != prev.hash {
            return LinkBreak(kind: .parentMismatch, previousNumber: prev.number, previousHash: prev.hash,
                             number: b.number, parentHash: b.parentHash, offset: b.offset)
        }
        return nil
    }
}
