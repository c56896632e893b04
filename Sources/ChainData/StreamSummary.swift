import Codecs

/// What `rlp inspect` reports about a block stream.
public struct StreamSummary: Sendable {
    public var blocks = 0
    public var bytes: Int64 = 0
    public var first: BlockInfo?
    public var last: BlockInfo?
    public var breaks: [LinkBreak] = []
    /// Blocks per UTC day of the block timestamp, in stream order.
    public var days: [(day: String, blocks: Int, firstNumber: UInt64, lastNumber: UInt64)] = []
    /// Blocks per header field count (15 pre-London, 16 London, 17 Shanghai, 20 Cancun, 21 Prague).
    public var headerFieldCounts: [Int: Int] = [:]
    private var checker = ChainLinkChecker()
    private var currentDay: Int64 = -1

    public init() {}

    public mutating func add(_ b: BlockInfo) {
        if first == nil { first = b }
        last = b
        blocks += 1
        bytes += Int64(b.size)
        headerFieldCounts[b.headerFields, default: 0] += 1
        if let br = checker.add(b) { breaks.append(br) }
        let d = UTCDay.dayNumber(b.timestamp)
        if d != currentDay || days.isEmpty {
            currentDay = d
            days.append((UTCDay.string(fromTimestamp: b.timestamp), 1, b.number, b.number))
        } else {
            days[days.count - 1].blocks += 1
            days[days.count - 1].lastNumber = b.number
        }
    }

    /// Whether every block follows the one before it.
    public var isContinuous: Bool { breaks.isEmpty }

    /// A JSON-ready dictionary.
    public func jsonObject(source: String) -> [String: Any] {
        var o: [String: Any] = ["source": source, "blocks": blocks, "bytes": bytes, "continuous": isContinuous]
        if let f = first {
            o["firstNumber"] = f.number; o["firstHash"] = f.hash.hex; o["firstParentHash"] = f.parentHash.hex
            o["firstTimestamp"] = f.timestamp
        }
        if let l = last { o["lastNumber"] = l.number; o["lastHash"] = l.hash.hex; o["lastTimestamp"] = l.timestamp }
        o["breaks"] = breaks.map { b -> [String: Any] in
            ["kind": b.kind.rawValue, "number": b.number, "previousNumber": b.previousNumber, "offset": b.offset,
             "parentHash": b.parentHash.hex, "previousHash": b.previousHash.hex, "message": b.description]
        }
        o["days"] = days.map { ["day": $0.day, "blocks": $0.blocks, "firstNumber": $0.firstNumber, "lastNumber": $0.lastNumber] as [String: Any] }
        o["headerFields"] = Dictionary(uniqueKeysWithValues: headerFieldCounts.map { (String($0.key), $0.value) })
        return o
    }
}
