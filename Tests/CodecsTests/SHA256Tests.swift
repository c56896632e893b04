import Codecs
import Testing
import TestSupport

/// SHA-256 against the FIPS 180-2 examples, HMAC-SHA256 against RFC 4231, and the hex codec.
@Suite struct SHA256Tests {
    @Test("FIPS 180-2 examples (one block, two blocks, 896 bits, one million 'a')", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func fipsVectors(message: String, digest: String) {
        let bytes = Array(message.utf8)
        #expect(SHA256Hasher.hex(bytes) == digest)
        #expect(Hex.encode(SHA256Hasher.digest(bytes)) == digest)
        // Fed in uneven pieces, the incremental hasher gives the same digest.
        let h = SHA256Hasher()
        var i = 0, step = 1
        while i < bytes.count {
            let j = min(bytes.count, i + step)
            h.update(Array(bytes[i..<j]))
            i = j
            step = step * 7 % 1009 + 1
        }
        #expect(h.finishHex() == digest)
    }

    @Test("finish resets the hasher for the next message")
    func finishResets() {
        let h = SHA256Hasher()
        h.update(Array("abc".utf8))
        _ = h.finish()
        #expect(h.finishHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// RFC 4231 §4.2-4.8 (test case 5 is truncated to 128 bits in the RFC).
    @Test("HMAC-SHA256: RFC 4231 test cases 1-7", arguments: [
        (1, [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (2, Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (3, [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (4, Array(1...25), [UInt8](repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (5, [UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
         "a3b6167473100ee06e0c796c2955552b"),
        (6, [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (7, [UInt8](repeating: 0xaa, count: 131),
         Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func hmacVectors(testCase: Int, key: [UInt8], data: [UInt8], mac: String) {
        let got = Hex.encode(HMACSHA256.mac(key: key, message: data))
        #expect(got.hasPrefix(mac), "RFC 4231 test case \(testCase)")
        #expect(got.count == 64)
    }

    @Test("hex: lowercase out, either case and 0x in, malformed refused")
    func hex() {
        #expect(Hex.encode([0x00, 0x7f, 0xab, 0xff]) == "007fabff")
        #expect(Hex.decode("007FabFF") == [0x00, 0x7f, 0xab, 0xff])
        #expect(Hex.decode("0x0a") == [0x0a])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.isSHA256("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(!Hex.isSHA256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"))
        #expect(!Hex.isSHA256("ba7816"))
        let h = Keccak256.hash(Array("abc".utf8))
        #expect(Hash32(hex: h.hex) == h)
        #expect(Hash32(bytes: [1, 2, 3]) == nil)
    }
}
