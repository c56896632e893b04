import Testing
import SnapshotCore
@testable import Snapshots

/// `ChunkPlan`: the restore's flat table of where each chunk's bytes go, against the obvious
/// dictionary it replaced, and `ChunkTableIndex`, which finds table indexes by id.
@Suite struct ChunkPlanTests {
    static func id(_ n: Int) -> String {
        let x = String(UInt64(n + 1) &* 0xD6E8_FEB8_6659_FD93, radix: 16)
        return String(repeating: String(repeating: "0", count: 16 - x.count) + x, count: 4)
    }

    /// 300 chunks (one named by no file, one listed twice), files that share chunks, files of
    /// several extents with holes, folders and symlinks between them.
    static func manifest() -> Manifest {
        var chunks = (0..<300).map { ChunkInfo(id: id($0), size: 1000, stored: 500, codec: $0 % 3 == 0 ? "lz4" : "zstd") }
        chunks.append(chunks[7])  // a repeat: written once
        var entries: [Entry] = [Entry(path: "d", type: .dir, mode: 0o755, mtimeNs: 0)]
        for f in 0..<400 {
            let a = id((f * 37) % 299), b = id((f * 11 + 5) % 299)
            let x = [Extent(chunk: a, offset: Int64(f % 10), length: 100), Extent(chunk: nil, offset: 0, length: 50),
                     Extent(chunk: b, offset: 0, length: Int64(1 + f % 900))]
            entries.append(Entry(path: "d/f\(f)", type: .file, mode: 0o644, mtimeNs: 0, size: x.reduce(0) { $0 + $1.length }, extents: x))
            if f % 50 == 0 { entries.append(Entry(path: "d/l\(f)", type: .symlink, mode: 0o777, mtimeNs: 0, target: "f\(f)")) }
        }
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return Manifest(id: "20261201T000000Z-00000001", createdAt: "t", tool: "chainsnap", source: SourceInfo(), chunkSize: 1000,
                        compression: "zstd", chunks: chunks, entries: entries, totals: Totals())
    }

    @Test("each chunk's destinations are those a dictionary of the extents gives, in entry order; chunks come in id order, once, only if named")
    func matchesTheDictionaryPlan() throws {
        let m = Self.manifest()
        let plan = try ChunkPlan(m, index: ChunkTableIndex(m.chunks))
        var expected: [String: [SnapshotRestorer.Destination]] = [:]
        for i in m.entries.indices where m.entries.kind(at: i) == .file {
            var off: Int64 = 0
            m.entries.forEachExtent(at: i) { x in
                if let c = x.chunk { expected[c, default: []].append(.init(entry: i, fileOffset: off, chunkOffset: x.offset, length: x.length)) }
                off += x.length
            }
        }
        #expect(plan.remaining.map { m.chunks[Int($0)].id } == expected.keys.sorted())
        #expect(!plan.remaining.contains { m.chunks[Int($0)].id == Self.id(299) })  // named by no file
        for k in plan.remaining {
            let got = plan.destinations(of: k).map { [$0.entry, Int($0.fileOffset), Int($0.chunkOffset), Int($0.length)] }
            let want = expected[m.chunks[Int(k)].id]!.map { [$0.entry, Int($0.fileOffset), Int($0.chunkOffset), Int($0.length)] }
            #expect(got == want, "chunk \(k)")
        }
        var fewer = plan
        fewer.removeAll { $0 % 2 == 0 }
        #expect(fewer.remaining == plan.remaining.filter { $0 % 2 == 1 })
        #expect(fewer.destinations(of: plan.remaining[0]).count == plan.destinations(of: plan.remaining[0]).count)
    }

    @Test("an extent naming a chunk the table lacks is refused, naming the file and the chunk")
    func unknownChunkIsRefused() throws {
        var m = Self.manifest()
        let stranger = String(repeating: "f", count: 64)
        let i = m.entries.firstIndex { $0.type == .file }!
        m.entries.setExtents(at: i, [Extent(chunk: stranger, offset: 0, length: m.entries.size(at: i))])
        #expect {
            _ = try ChunkPlan(m, index: ChunkTableIndex(m.chunks))
        } throws: { e in
            "\(e)".contains(stranger) && "\(e)".contains(m.entries.path(at: i))
        }
    }

    @Test("the index finds every id (a repeated one at its first place) and nothing else")
    func indexFindsIDs() {
        let m = Self.manifest()
        let index = ChunkTableIndex(m.chunks)
        for k in 0..<300 { #expect(index.index(of: Self.id(k)) == k) }
        #expect(index.index(of: m.chunks[300].id) == 7)
        #expect(index.index(of: String(repeating: "f", count: 64)) == nil)
        #expect(index.index(of: "not an id") == nil)
        #expect(index.indexesByID.count == 300)
        #expect(index.indexesByID.map { m.chunks[Int($0)].id } == (0..<300).map(Self.id).sorted())
    }
}
