import ChainData
import Codecs
import Foundation
import SnapshotCore
import Testing
import TestSupport

@Suite struct RLPDecodingTests {
    /// ethereum/tests RLPTests/rlptest.json: published encodings (structure cases).
    @Test func publishedValidEncodings() throws {
        let cases: [(String, RLPValue)] = [
            ("80", .bytes([])),
            ("00", .bytes([0])),
            ("7f", .bytes([0x7f])),
            ("83646f67", .bytes(Array("dog".utf8))),
            ("b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c69",
             .bytes(Array("Lorem ipsum dolor sit amet, consectetur adipisicing eli".utf8))),
            ("b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974",
             .bytes(Array("Lorem ipsum dolor sit amet, consectetur adipisicing elit".utf8))),
            ("8180", RLPValue.uint(128)),
            ("8203e8", RLPValue.uint(1000)),
            ("830186a0", RLPValue.uint(100_000)),
            ("c0", .list([])),
            ("cc83646f6783676f6483636174", .list(["dog", "god", "cat"].map { .bytes(Array($0.utf8)) })),
            ("c6827a77c10401", .list([.bytes(Array("zw".utf8)), .list([.bytes([4])]), .bytes([1])])),
            ("c4c2c0c0c0", .list([.list([.list([]), .list([])]), .list([])])),
            ("c7c0c1c0c3c0c1c0", .list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])])),
        ]
        for (hex, value) in cases {
            let bytes = Hex.decode(hex)!
            #expect(try RLPValue.decode(bytes) == value, "\(hex)")
            #expect(value.encoded() == bytes, "\(hex)")
        }
        // Long lists: 4 and 32 copies of ["asdf","qwer","zxcv"] (0xf840…, 0xf90200…).
        let triple = RLPValue.list(["asdf", "qwer", "zxcv"].map { .bytes(Array($0.utf8)) })
        let four = RLPValue.list(Array(repeating: triple, count: 4)).encoded()
        #expect(Array(four.prefix(2)) == [0xf8, 0x40])
        let many = RLPValue.list(Array(repeating: triple, count: 32)).encoded()
        #expect(Array(many.prefix(3)) == [0xf9, 0x02, 0x00])
        #expect(try RLPValue.decode(many) == .list(Array(repeating: triple, count: 32)))
        // A 1024-byte string (0xb90400…).
        let long = RLPValue.bytes([UInt8](repeating: 0x41, count: 1024)).encoded()
        #expect(Array(long.prefix(3)) == [0xb9, 0x04, 0x00])
        #expect(try RLPValue.decode(long) == .bytes([UInt8](repeating: 0x41, count: 1024)))
    }

    /// ethereum/tests RLPTests/invalidRLPTest.json: every one must be rejected.
    @Test(arguments: [
        "bf0f000000000000021111", "ff0f000000000000021111", "f80180", "f80100",
        "b9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df0",
        "f861f83eb9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df027b90015002d5ef8325ae4d034df55d4b58d0dfba64d61ddd17be00000b9001a00dae30907045a2f66fa36f2bb8aa9029cbb0b8a7b3b5c435ab331",
        "8100", "8101", "817F",
        "b90040000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        "b800",
        "fb00000040000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        "f800", "b81000112233445566778899aabbccddeeff", "b801ff", "f810000102030405060708090a0b0c0d0e0f", "f803112233",
    ])
    func publishedInvalidEncodings(hex: String) {
        #expect(throws: ChainsnapError.self) { try RLPValue.decode(Hex.decode(hex)!) }
    }
}

@Suite struct BlockScannerTests {
    @Test func readsBuiltChainWhateverTheReadBoundaries() throws {
        let (bytes, hashes) = BlockBuilder.chain(count: 40, fields: 16, txBytes: 300)
        let whole = try scanAll(bytes)
        #expect(whole.map(\.hash) == hashes)
        #expect(whole.map(\.number) == Array(1...40))
        #expect(whole.first?.parentHash == .zero)
        for step in [1, 2, 7, 64, 1000] {
            #expect(try scanAll(bytes, step: step) == whole, "step \(step)")
        }
    }

    @Test func truncatedStreamIsReportedWithOffset() throws {
        let (bytes, _) = BlockBuilder.chain(count: 3)
        let blocks = try scanAll(bytes)
        let cut = Array(bytes.dropLast(10))
        for step in [0, 1, 13] {
            do {
                _ = try scanAll(cut, step: step)
                Issue.record("truncated stream accepted")
            } catch let e as ChainsnapError {
                #expect(e.code == .malformedRLP)
                #expect(e.message.contains("offset \(blocks[2].offset)"), "\(e.message)")
                #expect(e.message.contains("truncated"))
            }
        }
    }

    @Test func oversizedAndNonListItemsAreRejected() throws {
        // A list declaring 2^32-1 bytes.
        #expect(throws: ChainsnapError.self) { _ = try scanAll([0xfb, 0xff, 0xff, 0xff, 0xff]) }
        // A list longer than the scanner's limit.
        let small = RLPBlockScanner(maxBlockSize: 100)
        #expect(throws: ChainsnapError.self) { try small.feed([0xf9, 0x10, 0x00]) { _, _ in } }
        // Trailing bytes that are not a list.
        let (bytes, _) = BlockBuilder.chain(count: 2)
        do {
            _ = try scanAll(bytes + [0x00, 0x01, 0x02])
            Issue.record("garbage accepted")
        } catch let e as ChainsnapError {
            #expect(e.message.contains("offset \(bytes.count)"))
            #expect(e.message.contains("not a list"))
        }
        // A header whose fields overrun it.
        var broken = bytes
        broken[3] = 0xff
        #expect(throws: ChainsnapError.self) { _ = try scanAll(broken) }
    }

    @Test(.requiresTestNode, arguments: [15, 16, 17])
    func blockHashesMatchIndependentImplementation(fields: Int) throws {
        let (bytes, _) = BlockBuilder.chain(first: 12_964_990, count: 5, parent: Hash32(bytes: [UInt8](repeating: 9, count: 32))!,
                                            fields: fields)
        let ours = try scanAll(bytes, step: 5)
        #expect(ours.allSatisfy { $0.headerFields == fields })
        let py = try Requirements.needPython(TestNode.pythonModules, packages: TestNode.pythonPackages)
        let dir = TempDir("rlp-py")
        let path = dir.sub("chain.rlp")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // pyrlp decodes the stream item by item; eth-hash hashes each header's re-encoding.
        let r = try run(py, ["-c", """
            import sys, rlp
            from eth_hash.auto import keccak
            data = open(sys.argv[1], 'rb').read()
            pos = 0
            while pos < len(data):
                item, _, end = rlp.codec.consume_item(data, pos)
                header = item[0]
                print(int.from_bytes(header[8], 'big'), keccak(rlp.encode(header)).hex(), header[0].hex(), len(header))
                pos = end
            """, path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.count == ours.count)
        for (b, l) in zip(ours, lines) {
            #expect(String(b.number) == l[0])
            #expect(b.hash.hex == "0x" + l[1])
            #expect(b.parentHash.hex == "0x" + l[2])
            #expect(String(b.headerFields) == l[3])
        }
    }

    @Test func linkCheckerFindsGapsAndParentBreaks() throws {
        let (a, ha) = BlockBuilder.chain(first: 1, count: 5)
        let (b, _) = BlockBuilder.chain(first: 7, count: 2, parent: ha[4])
        var s = StreamSummary()
        for x in try scanAll(a + b) { s.add(x) }
        #expect(s.breaks.count == 1)
        #expect(s.breaks.first?.kind == .numberGap)
        #expect(s.breaks.first?.number == 7)
        let (c, _) = BlockBuilder.chain(first: 6, count: 2, parent: ha[2])
        var s2 = StreamSummary()
        for x in try scanAll(a + c) { s2.add(x) }
        #expect(s2.breaks.map(\.kind) == [.parentMismatch])
        #expect(s2.breaks.first?.previousNumber == 5)
    }

    @Test func utcDays() {
        #expect(UTCDay.string(fromTimestamp: 0) == "1970-01-01")
        #expect(UTCDay.string(fromTimestamp: 1_700_000_000) == "2023-11-14")
        #expect(UTCDay.string(fromTimestamp: 951_782_400) == "2000-02-29")
        #expect(UTCDay.string(fromTimestamp: 4_102_444_799) == "2099-12-31")
    }

    @Test(.requires("gzip"))
    func gzipInputIsStreamed() async throws {
        let (bytes, hashes) = BlockBuilder.chain(count: 50)
        let dir = TempDir("rlp-gz")
        try Data(bytes).write(to: URL(fileURLWithPath: dir.sub("c.rlp")))
        #expect(try run("gzip", ["-k", dir.sub("c.rlp")]).status == 0)
        // Two gzip members concatenated read as one stream.
        let gz = try Data(contentsOf: URL(fileURLWithPath: dir.sub("c.rlp.gz")))
        let summary = try await ByteInput.inspect(dir.sub("c.rlp.gz"))
        #expect(summary.blocks == 50)
        #expect(summary.last?.hash == hashes.last)
        let twice = [UInt8](gz)
        let out = try GzipStreamDecompressor.decompress(twice + twice)
        #expect(out == bytes + bytes)
        #expect(throws: ChainsnapError.self) { _ = try GzipStreamDecompressor.decompress(Array(twice.dropLast(5))) }
    }
}
