import Testing
import SnapshotCore
@testable import Snapshots

/// `ChunkName`: the compact name `snapshot verify` matches store listings and chunk tables on.
@Suite struct ChunkNameTests {
    static let id = "0123456789abcdef00112233445566778899aabbccddeeff0f1e2d3c4b5a6978"

    @Test("a chunk and its store key give the same name; codec and id tell names apart")
    func keyAndChunkAgree() {
        for codec in ["zstd", "lz4"] {
            let c = ChunkInfo(id: Self.id, size: 10, stored: 5, codec: codec)
            #expect(ChunkName(c) != nil)
            #expect(ChunkName(storeKey: c.key) == ChunkName(c), "\(c.key)")
        }
        let z = ChunkName(ChunkInfo(id: Self.id, size: 1, stored: 1, codec: "zstd"))
        let l = ChunkName(ChunkInfo(id: Self.id, size: 1, stored: 1, codec: "lz4"))
        #expect(z != l)
        var other = Array(Self.id)
        other[63] = "9"
        #expect(ChunkName(ChunkInfo(id: String(other), size: 1, stored: 1, codec: "zstd")) != z)
        other = Array(Self.id)
        other[0] = "f"  // the first word differs
        #expect(ChunkName(ChunkInfo(id: String(other), size: 1, stored: 1, codec: "zstd")) != z)
    }

    @Test("keys that are not a chunk's name nothing", arguments: [
        "chunks/01/\(id).gz", "chunks/02/\(id).zst", "chunk/01/\(id).zst", "chunks/01\(id).zstx",
        "chunks/01/\(id.uppercased()).zst", "chunks/01/\(id.dropLast()).zst", "chunks/01/\(id)0.zst",
        "chunks/01/.tmp-\(id.prefix(60)).zst", "snapshots/01/\(id).zst", "",
    ])
    func otherKeys(_ key: String) {
        #expect(ChunkName(storeKey: key) == nil)
    }

    @Test("ids that are not 64 lowercase hex digits name nothing")
    func badIDs() {
        for id in ["", "abc", String(Self.id.dropLast()), Self.id + "0", Self.id.uppercased(), "g" + Self.id.dropFirst()] {
            #expect(ChunkName(ChunkInfo(id: id, size: 1, stored: 1, codec: "zstd")) == nil, "\(id)")
        }
    }
}

/// `ChunkDigest`: 64 hex digits as four words, ordered as the text is.
@Suite struct ChunkDigestTests {
    @Test("digests sort as their hex ids do, and read back only from lowercase hex of 64 digits")
    func orderMatchesText() {
        var ids: [String] = []
        var x: UInt64 = 0x1234_5678_9ABC_DEF1
        for _ in 0..<500 {
            var s = ""
            for _ in 0..<4 {
                x = x &* 6364136223846793005 &+ 1442695040888963407
                s += String(repeating: "0", count: 16 - String(x, radix: 16).count) + String(x, radix: 16)
            }
            ids.append(s)
        }
        // Ids that differ only in a late word, and in the last digit.
        ids.append(String(repeating: "0", count: 63) + "1")
        ids.append(String(repeating: "0", count: 64))
        let byText = ids.sorted()
        let byDigest = ids.sorted { ChunkDigest(id: $0)! < ChunkDigest(id: $1)! }
        #expect(byText == byDigest)
        #expect(Set(ids.map { ChunkDigest(id: $0)! }).count == Set(ids).count)
        for bad in ["", String(repeating: "a", count: 63), String(repeating: "A", count: 64), String(repeating: "g", count: 64),
                    String(repeating: "a", count: 65)] {
            #expect(ChunkDigest(id: bad) == nil, "\(bad)")
        }
    }

    @Test("partitionPoint: the first element not below, at the ends and between repeats")
    func partitionPointFindsTheBoundary() {
        let xs = [1, 3, 3, 3, 7, 9]
        for (v, want) in [(0, 0), (1, 0), (2, 1), (3, 1), (4, 4), (9, 5), (10, 6)] {
            #expect(xs.partitionPoint { $0 < v } == want, "\(v)")
        }
        #expect([Int]().partitionPoint { $0 < 5 } == 0)
        #expect(xs[2...].partitionPoint { $0 < 7 } == 4)  // a slice's own indexes
    }
}
