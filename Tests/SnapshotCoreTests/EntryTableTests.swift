import Testing
@testable import SnapshotCore

/// The compact entry table behaves as the array of entries it replaces (issue 13).
@Suite("Entry table") struct EntryTableTests {
    static let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)

    /// Entries of every kind and shape: no extents, empty extents, zero runs, shared chunks, a long path.
    static func sample() -> [Entry] {
        [
            Entry(path: "db", type: .dir, mode: 0o755, mtimeNs: 1),
            Entry(path: "db/000001.sst", type: .file, mode: 0o644, mtimeNs: 2, size: 30,
                  extents: [Extent(chunk: a, offset: 0, length: 10), Extent(chunk: nil, offset: 0, length: 5), Extent(chunk: b, offset: 7, length: 15)]),
            Entry(path: "db/LOCK", type: .file, mode: 0o600, mtimeNs: -3, size: 0, extents: []),
            Entry(path: "db/link", type: .symlink, mode: 0o777, mtimeNs: 4, target: "000001.sst"),
            Entry(path: "db/" + String(repeating: "é", count: 300), type: .file, mode: 0o4755, mtimeNs: 5, size: 3,
                  extents: [Extent(chunk: a, offset: 10, length: 3)]),
            Entry(path: "scanned", type: .file, mode: 0o644, mtimeNs: 6, size: 9),
        ]
    }

    @Test("reading an element gives back the entry appended, and the field accessors agree with it")
    func roundTrip() {
        let entries = Self.sample()
        let t = EntryTable(entries)
        #expect(Array(t) == entries)
        for (i, e) in entries.enumerated() {
            #expect(t.path(at: i) == e.path && t.kind(at: i) == e.type && t.size(at: i) == e.size)
            #expect(t.extentCount(at: i) == e.extents?.count)
            var seen: [Extent] = []
            t.forEachExtent(at: i) { seen.append($0) }
            #expect(seen == (e.extents ?? []))
        }
    }

    @Test("writing an element, its extents or a range changes only that: in place or appended, as an array would")
    func mutation() {
        var entries = Self.sample()
        var t = EntryTable(entries)
        t[1].extents![2].offset = 8
        entries[1].extents![2].offset = 8
        t[5].size = 4
        entries[5].size = 4
        t.setExtents(at: 5, [Extent(chunk: Self.b, offset: 0, length: 4)])
        entries[5].extents = [Extent(chunk: Self.b, offset: 0, length: 4)]
        t[2].path = "db/LOCK2"
        entries[2].path = "db/LOCK2"
        t[3].target = nil
        entries[3].target = nil
        t.setExtents(at: 1, nil)
        entries[1].extents = nil
        #expect(Array(t) == entries)
        t.insert(Entry(path: "a", type: .dir, mode: 0o700, mtimeNs: 0), at: 0)
        entries.insert(Entry(path: "a", type: .dir, mode: 0o700, mtimeNs: 0), at: 0)
        t += [Entry(path: "z", type: .dir, mode: 0o700, mtimeNs: 0)]
        entries += [Entry(path: "z", type: .dir, mode: 0o700, mtimeNs: 0)]
        t.remove(at: 3)
        entries.remove(at: 3)
        #expect(Array(t) == entries)
        #expect(t == EntryTable(entries))
    }

    @Test("sortByPath orders by the bytes of the paths, across segments, like sorting the entries")
    func sorting() {
        // More entries than one segment holds, in a scrambled order with '/' and '-' and non-ASCII names.
        let names = ["a", "a-c", "a.txt", "a/b", "a/b/c", "a0", "é", "Z", "a/b-", " "]
        var entries: [Entry] = []
        for i in 0..<(SegmentedArray<Int>.segmentSize * 2 + 17) {
            let n = names[i % names.count] + "/\((i &* 7919) % 100_003)"
            entries.append(Entry(path: n, type: .file, mode: 0o644, mtimeNs: Int64(i), size: Int64(i),
                                 extents: [Extent(chunk: i % 3 == 0 ? Self.a : Self.b, offset: 0, length: Int64(i))]))
        }
        var t = EntryTable(entries)
        t.sortByPath()
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        #expect(Array(t) == entries)
    }

    @Test("the manifest text is the same whether the entries come from an array or the table")
    func sameText() throws {
        let m = Manifest(id: "x", createdAt: "t", tool: "chainsnap", source: SourceInfo(), chunkSize: 4096, compression: "zstd",
                         chunks: [ChunkInfo(id: Self.a, size: 20, stored: 9, codec: "zstd"), ChunkInfo(id: Self.b, size: 30, stored: 9, codec: "lz4")],
                         entries: Self.sample(), totals: Totals())
        let text = try ManifestWriter.text(m)
        nonisolated(unsafe) var pending: [UInt8]? = text
        let back = try ManifestReader.read(next: { defer { pending = nil }; return pending })
        #expect(back == m)
        #expect(try ManifestWriter.text(back) == text)
    }

    @Test("a table of a million small files costs under 100 bytes an entry")
    func compactness() {
        var t = EntryTable()
        for i in 0..<1_000_000 {
            t.append(Entry(path: "d\(i / 1000)/f\(i)", type: .file, mode: 0o644, mtimeNs: Int64(i), size: 2048,
                           extents: [Extent(chunk: i % 64 == 0 ? Self.a : Self.b, offset: Int64(i % 64) * 2048, length: 2048)]))
        }
        #expect(t.count == 1_000_000)
        #expect(t.approximateBytes < 100 * 1_000_000, "\(t.approximateBytes) bytes")
    }
}
