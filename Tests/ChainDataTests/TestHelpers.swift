import ChainData
import Codecs
import Foundation
import Testing
import TestSupport

/// The shared RLP fixtures folder, when present (gate tests with `.requiresSharedFixture("rlp")`).
enum RLPFixtures {
    static var dir: String? { Paths.sharedFixture("rlp") }
}

/// Runs the built chainsnap binary.
func chainsnap(_ args: [String]) throws -> RunResult {
    try run(Paths.chainsnapBinary, args)
}

/// Builds block RLP the way clients do, for tests.
enum BlockBuilder {
    /// A header with real field layouts: 15 fields (pre-London), 16 (London, baseFee),
    /// 17 (Shanghai, withdrawals root).
    static func header(number: UInt64, parent: Hash32, timestamp: UInt64, fields: Int, salt: UInt64 = 0) -> RLPValue {
        func h(_ tag: UInt8) -> RLPValue { .bytes([UInt8](repeating: tag, count: 32)) }
        var f: [RLPValue] = [
            .bytes(parent.bytes),                      // 0 parentHash
            h(0x1d),                                    // 1 ommersHash
            .bytes([UInt8](repeating: 0xaa, count: 20)),// 2 coinbase
            h(0x01),                                    // 3 stateRoot
            h(0x02),                                    // 4 transactionsRoot
            h(0x03),                                    // 5 receiptsRoot
            .bytes([UInt8](repeating: 0, count: 256)),  // 6 logsBloom
            RLPValue.uint(fields >= 16 ? 0 : 131_072 + salt), // 7 difficulty
            RLPValue.uint(number),                      // 8 number
            RLPValue.uint(30_000_000),                  // 9 gasLimit
            RLPValue.uint(21_000 * (number % 7)),       // 10 gasUsed
            RLPValue.uint(timestamp),                   // 11 timestamp
            .bytes(Array("chainsnap-\(salt)".utf8)),   // 12 extraData
            h(0x04),                                    // 13 mixHash
            .bytes([0, 0, 0, 0, 0, 0, 0, UInt8(number & 0xff)]), // 14 nonce
        ]
        if fields >= 16 { f.append(RLPValue.uint(7 + number)) }       // 15 baseFeePerGas
        if fields >= 17 { f.append(h(0x56)) }                          // 16 withdrawalsRoot
        return .list(f)
    }

    /// A chain of `count` blocks starting at `first`, with some transaction-like payload.
    static func chain(first: UInt64 = 1, count: Int, parent: Hash32 = .zero, fields: Int = 16,
                      startTime: UInt64 = 1_700_000_000, spacing: UInt64 = 12, txBytes: Int = 100) -> (bytes: [UInt8], hashes: [Hash32]) {
        var out: [UInt8] = []
        var hashes: [Hash32] = []
        var prev = parent
        for i in 0..<count {
            let n = first + UInt64(i)
            let hdr = header(number: n, parent: prev, timestamp: startTime + UInt64(i) * spacing, fields: fields)
            let hb = hdr.encoded()
            let hash = Keccak256.hash(hb)
            var items: [RLPValue] = [hdr, .list([.bytes([UInt8](repeating: UInt8(truncatingIfNeeded: n), count: txBytes))]), .list([])]
            if fields >= 17 { items.append(.list([])) }
            out += RLPValue.list(items).encoded()
            hashes.append(hash)
            prev = hash
        }
        return (out, hashes)
    }
}

/// Scans a whole buffer, feeding pieces of `step` bytes (0 = all at once).
func scanAll(_ bytes: [UInt8], step: Int = 0) throws -> [BlockInfo] {
    let s = RLPBlockScanner()
    var out: [BlockInfo] = []
    if step == 0 {
        try s.feed(bytes) { b, raw in
            #expect(raw.count == b.size)
            out.append(b)
        }
    } else {
        var i = 0
        while i < bytes.count {
            let j = min(i + step, bytes.count)
            try s.feed(Array(bytes[i..<j])) { b, _ in out.append(b) }
            i = j
        }
    }
    try s.finish()
    return out
}
