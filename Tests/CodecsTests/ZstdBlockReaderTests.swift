import Foundation
import Testing
import Codecs
import SnapshotCore
import TestSupport

/// `ZstdBlockReader` decompresses a block at a time from one array or from compressed blocks
/// pulled as needed (a manifest spooled to a file). Both must give the same bytes, however the
/// input is cut, and refuse what is empty, truncated or declared too large.
@Suite struct ZstdBlockReaderTests {
    static let text: [UInt8] = Array((0..<40_000).map { "entry \($0) block receipt header state\n" }.joined().utf8)

    static func frame(_ input: [UInt8]) throws -> [UInt8] { try input.withUnsafeBytes { try ZstdCompressor().compress($0) } }

    static func drain(_ r: ZstdBlockReader) throws -> [UInt8] {
        var out: [UInt8] = []
        while let b = try r.next() { out += b }
        return out
    }

    /// A pull source yielding `input` in pieces of `size` bytes, with an empty piece first.
    static func pieces(_ input: [UInt8], _ size: Int) -> () throws -> [UInt8]? {
        var at = 0, first = true
        return {
            if first { first = false; return [] }
            guard at < input.count else { return nil }
            defer { at += size }
            return Array(input[at..<min(input.count, at + size)])
        }
    }

    @Test("pulled in pieces of 1, 7, 4096 and 1 MiB bytes: the same text as from one array", arguments: [1, 7, 4096, 1 << 20])
    func piecesGiveTheSameText(size: Int) throws {
        let z = try Self.frame(Self.text)
        #expect(try Self.drain(ZstdBlockReader(z, limit: 1 << 24, what: "t")) == Self.text)
        #expect(try Self.drain(ZstdBlockReader(pulling: Self.pieces(z, size), limit: 1 << 24, what: "t")) == Self.text)
    }

    @Test("empty, truncated and over-declared input is refused when pulled, as from an array")
    func refusals() throws {
        #expect(throws: ChainsnapError.self) { try Self.drain(ZstdBlockReader(pulling: { nil }, limit: 1 << 20, what: "t")) }
        #expect(throws: ChainsnapError.self) { try Self.drain(ZstdBlockReader(pulling: Self.pieces([], 10), limit: 1 << 20, what: "t")) }
        let z = try Self.frame(Self.text)
        let cut = Array(z.prefix(z.count - 9))
        let e = #expect(throws: ChainsnapError.self) { try Self.drain(ZstdBlockReader(pulling: Self.pieces(cut, 100), limit: 1 << 24, what: "t")) }
        #expect(e?.message.contains("truncated") == true, "\(String(describing: e))")
        let big = #expect(throws: ChainsnapError.self) { try ZstdBlockReader(pulling: Self.pieces(z, 4096), limit: 1000, what: "t") }
        #expect(big?.message.contains("declares") == true, "\(String(describing: big))")
        let small = #expect(throws: ChainsnapError.self) { try ZstdBlockReader(pulling: Self.pieces(z, 3), limit: 1000, what: "t") }
        #expect(small?.message.contains("declares") == true, "a header cut across pieces is read whole: \(String(describing: small))")
    }
}
