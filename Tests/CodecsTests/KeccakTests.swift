import Codecs
import Foundation
import Testing
import TestSupport

@Suite struct KeccakTests {
    @Test func knownVectors() {
        // Published Keccak-256 (original padding) answers.
        #expect(Keccak256.hash(Array("".utf8)).hex == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Keccak256.hash(Array("abc".utf8)).hex == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(Keccak256.hash(Array("The quick brown fox jumps over the lazy dog".utf8)).hex
                == "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
        // keccak256(rlp([])) is the empty ommers hash every post-merge header carries.
        #expect(Keccak256.hash([0xc0]).hex == "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
        // keccak256(rlp("")) is the empty trie root.
        #expect(Keccak256.hash([0x80]).hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    }

    @Test func incrementalMatchesOneShotAcrossRateBoundaries() {
        let data = (0..<700).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for len in [0, 1, 135, 136, 137, 271, 272, 273, 500, 700] {
            let whole = Keccak256.hash(Array(data[0..<len]))
            var k = Keccak256()
            var i = 0
            var step = 1
            while i < len {
                let j = min(len, i + step)
                k.update(Array(data[i..<j]))
                i = j
                step = step * 3 % 97 + 1
            }
            #expect(k.finish() == whole, "length \(len)")
        }
    }

    @Test(.requiresPython(["eth_hash.auto"], packages: "PyPI 'eth-hash[pycryptodome]'"))
    func matchesIndependentImplementation() throws {
        let py = try Requirements.needPython(["eth_hash.auto"], packages: "PyPI 'eth-hash[pycryptodome]'")
        var inputs: [[UInt8]] = []
        for len in [0, 1, 55, 135, 136, 137, 200, 272, 1000, 4096] {
            inputs.append((0..<len).map { _ in UInt8.random(in: 0...255) })
        }
        let hexes = inputs.map { Hex.encode($0) }.joined(separator: "\n")
        let r = try run(py, ["-c", """
            import sys
            from eth_hash.auto import keccak
            for line in sys.stdin.read().split('\\n'):
                print(keccak(bytes.fromhex(line.strip())).hex())
            """], stdin: hexes)
        #expect(r.status == 0, "\(r.stderr)")
        let theirs = r.stdout.split(separator: "\n").map(String.init)
        #expect(theirs.count == inputs.count)
        for (i, input) in inputs.enumerated() where i < theirs.count {
            #expect(Keccak256.hash(input).hex == "0x" + theirs[i], "input of \(input.count) bytes")
        }
    }
}
