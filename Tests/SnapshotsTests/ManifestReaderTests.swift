import Foundation
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots

/// The block-at-a-time manifest reader (issue 13): the same `Manifest` as Foundation's decoder
/// (which read every version-1 manifest before it), whatever the block boundaries, with errors
/// that name the field and bounds on what hostile text can make it hold.
@Suite struct ManifestReaderTests {
    static let id = "20261123T232819Z-1a2b3c4d"
    static let chunkA = String(repeating: "ab", count: 32)
    static let chunkB = String(repeating: "0f", count: 32)

    /// A version-1 manifest as the old writer and other JSON writers may shape it: spacing,
    /// escapes, nulls for absent fields, keys in any order, fields this build does not know.
    static let v1Text = """
    { "version" : 1, "format":"chainsnap-snapshot", "id":"\(id)", "createdAt":"2026-11-23T23:28:19Z",
      "tool":"chainsnap 0.1.0", "future": {"nested": [1, 2.5e3, true, false, null, "x\\"y"]},
      "source": {"network":"mainnet","chainId":"96369","height":18446744073709551615,"blockHash":null,
                 "labels":{"tier":"archive","t\\u00e9":"\\ud83d\\ude00\\n"},"host":"luxd-0","path":"/data/db"},
      "chunkSize":4194304, "compression":"zstd",
      "chunks":[{"id":"\(chunkA)","size":5,"stored":9,"codec":"zstd"},{"codec":"lz4","id":"\(chunkB)","size":4,"stored":7}],
      "entries":[
        {"path":"db","type":"dir","mode":493,"mtimeNs":-5,"size":0},
        {"path":"db/caf\\u00e9 \\/x","type":"file","mode":420,"mtimeNs":1700000000123456789,"size":9,
         "extents":[{"c":"\(chunkA)","l":5},{"l":1},{"c":"\(chunkB)","o":1,"l":3}]},
        {"path":"db/empty","type":"file","mode":420,"mtimeNs":0,"size":0,"extents":[],"target":null},
        {"path":"db/link","type":"symlink","mode":511,"mtimeNs":0,"size":0,"target":"caf\\u00e9 \\/x","extents":null}
      ],
      "totals":{"files":2,"dirs":1,"symlinks":1,"bytes":9,"storedBytes":16,"newBytes":16},
      "signing":{"algorithm":"ed25519","keyId":"3ef21dbe685f65af"} }
    """

    static func read(_ text: String, blockSize: Int = 1 << 20) throws -> Manifest {
        var rest = Array(text.utf8)[...]
        return try ManifestReader.read(next: {
            guard !rest.isEmpty else { return nil }
            defer { rest = rest.dropFirst(blockSize) }
            return Array(rest.prefix(blockSize))
        })
    }

    @Test func readsWhatFoundationsDecoderReadsAtAnyBlockBoundary() throws {
        let expected = try JSONDecoder().decode(Manifest.self, from: Data(Self.v1Text.utf8))
        #expect(expected.entries[1].path == "db/café /x" && expected.source.labels["té"] == "😀\n")
        for size in [1, 2, 3, 7, 64, 1 << 20] {
            #expect(try Self.read(Self.v1Text, blockSize: size) == expected, "blocks of \(size) bytes")
        }
    }

    /// JSON decoders disagree on which of two equal keys wins, so a manifest that repeats one is
    /// refused rather than read one way here and another way elsewhere.
    @Test(arguments: [(#""tool":"chainsnap 0.1.0""#, #""tool":"a", "tool":"b""#), (#""tier":"archive""#, #""tier":"x","tier":"y""#),
                      (#""l":5"#, #""l":5,"l":6"#), (#""mode":420"#, #""mode":420,"mode":421"#)])
    func aRepeatedKeyIsRefused(find: String, replace: String) throws {
        let text = Self.v1Text.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.v1Text)
        #expect { _ = try Self.read(text) } throws: { "\($0)".contains("appears twice") }
    }

    @Test func roundTripsWhatCreateWritesThroughZstd() throws {
        var m = try Self.read(Self.v1Text)
        m.entries += (0..<3000).map { i in
            Entry(path: "db/d\(i / 1000)/f\(i)", type: .file, mode: 0o644, mtimeNs: Int64(i), size: 5,
                  extents: [Extent(chunk: Self.chunkA, offset: 0, length: 5)])
        }
        let stored = try SnapshotLayout.encode(m)
        #expect(try SnapshotLayout.decode(stored, id: Self.id) == m)
    }

    /// The writer's text of `m`, checked to be what `JSONEncoder` (sorted keys, `/` unescaped) writes
    /// and to decode back to `m`.
    static func writerText(matchingJSONEncoder m: Manifest, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let foundation = try enc.encode(m)
        let text = try ManifestWriter.text(m)
        #expect(String(decoding: text, as: UTF8.self) == String(decoding: foundation, as: UTF8.self), sourceLocation: sourceLocation)
        #expect(try JSONDecoder().decode(Manifest.self, from: Data(text)) == m, sourceLocation: sourceLocation)
        return text
    }

    @Test func theWriterWritesWhatJSONEncoderWritesAndOlderReadersRead() throws {
        var m = try Self.read(Self.v1Text)
        m.entries.append(Entry(path: "db/q\"\\\u{1}\t\n", type: .file, mode: 0o600, mtimeNs: 1, size: 0, extents: []))
        m.source.labels["z"] = "ü"
        let text = try Self.writerText(matchingJSONEncoder: m)
        // One frame declaring its size, as JSONEncoder + ZstdCompressor wrote it; the whole-buffer
        // bounded decoder (what chainsnap before the block reader used) reads it.
        let stored = try SnapshotLayout.encode(m)
        #expect(stored.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == text.count)
        let raw = try BoundedDecode.zstd(stored, limit: SnapshotLayout.maxManifestBytes, what: "the manifest")
        #expect(try JSONDecoder().decode(Manifest.self, from: Data(raw)) == m)
    }

    @Test("the writer matches JSONEncoder on edge values: every control byte, quotes, non-ASCII, negative and extreme numbers, links, holes")
    func theWriterMatchesJSONEncoderOnEdgeValues() throws {
        var m = try Self.read(Self.v1Text)
        let controls = String(decoding: (1..<0x20).map { UInt8($0) } + [0x7F], as: UTF8.self)
        m.entries.append(Entry(path: "db/\(controls)", type: .file, mode: 0o7777, mtimeNs: -1_000_000_007, size: 0, extents: []))
        m.entries.append(Entry(path: "db/\"quoted\"\\back\\", type: .file, mode: 0, mtimeNs: Int64.min, size: Int64.max,
                               extents: [Extent(chunk: nil, offset: 0, length: Int64.max), Extent(chunk: Self.chunkA, offset: 12_345, length: 1)]))
        m.entries.append(Entry(path: "db/ümlaut/日本/🙂", type: .symlink, mode: 0o777, mtimeNs: 0, size: 0, target: "../\"t\\\u{1}"))
        m.entries.append(Entry(path: "db/", type: .dir, mode: 0o755, mtimeNs: 9_999_999_999_999_999, size: 0))
        _ = try Self.writerText(matchingJSONEncoder: m)
    }

    @Test func extentsShareTheirChunkTablesIDString() throws {
        let m = try Self.read(Self.v1Text)
        let a = m.chunks[0].id, b = m.entries[1].extents![0].chunk!
        // The same storage, not an equal copy: a million extents do not hold a million ids.
        let same = a.utf8.withContiguousStorageIfAvailable { p in
            b.utf8.withContiguousStorageIfAvailable { q in p.baseAddress == q.baseAddress }
        }
        #expect(same == true)
    }

    @Test("at thousands of chunks, each extent shares its own chunk's id string; ids the table lacks, or a table given last, still read")
    func extentIDsAreFoundInALargeTable() throws {
        func hex(_ n: Int) -> String {  // ids in no sorted order
            let x = String(UInt64(n + 1) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
            return String(repeating: String(repeating: "0", count: 16 - x.count) + x, count: 4)
        }
        let ids = (0..<3000).map(hex)
        try #require(Set(ids).count == ids.count)
        let absent = String(repeating: "e", count: 64)
        let table = ids.map { #"{"id":"\#($0)","size":10,"stored":5,"codec":"zstd"}"# }.joined(separator: ",")
        let entries = (0..<3000).map { i in
            let c = ids[(i * 7919) % ids.count]
            return #"{"path":"f\#(String(format: "%05d", i))","type":"file","mode":420,"mtimeNs":0,"size":12,"extents":[{"c":"\#(c)","l":10},{"c":"\#(absent)","l":2}]}"#
        }.joined(separator: ",")
        func text(tableFirst: Bool) -> String {
            let head = #""version":1,"format":"chainsnap-snapshot","id":"\#(Self.id)","createdAt":"x","tool":"t","source":{"labels":{}},"chunkSize":10,"compression":"zstd""#
            let parts = [#""chunks":[\#(table)]"#, #""entries":[\#(entries)]"#]
            return "{" + head + "," + (tableFirst ? parts : parts.reversed()).joined(separator: ",") +
                #","totals":{"files":3000,"dirs":0,"symlinks":0,"bytes":36000,"storedBytes":15000,"newBytes":0}}"#
        }
        func storage(_ s: String) -> UnsafeRawPointer? { s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil }
        for tableFirst in [true, false] {
            let m = try Self.read(text(tableFirst: tableFirst), blockSize: 4096)
            #expect(m.chunks.map(\.id) == ids)
            var shared = 0, absentStorage = Set<UnsafeRawPointer?>()
            for (i, e) in m.entries.enumerated() {
                let x = e.extents!
                let k = (i * 7919) % ids.count
                #expect(x[0].chunk == ids[k] && x[1].chunk == absent)
                if storage(x[0].chunk!) == storage(m.chunks[k].id) { shared += 1 }
                absentStorage.insert(storage(x[1].chunk!))
            }
            // Listed first (as the writer does), the table's strings are shared by every extent.
            #expect(shared == (tableFirst ? 3000 : 0), "tableFirst: \(tableFirst)")
            #expect(absentStorage.count == 1)
        }
    }

    @Test(arguments: [
        (#""mode":493"#, #""mode":-1"#, "entries[0].mode: -1 is not an integer 0…4294967295"),
        (#""mode":493"#, #""mode":"x""#, "entries[0].mode: expected a number"),
        (#""type":"dir""#, #""type":"fifo""#, "entries[0].type: 'fifo' is not file, dir or symlink"),
        (#""size":5,"stored":9"#, #""stored":9"#, "chunks[0].size is missing"),
        (#""l":5"#, #""l":99999999999999999999"#, "entries[1].extents[0].l: 99999999999999999999 is not an integer"),
        (#""future": {"#, #""future": "# + String(repeating: "[", count: 100) + #"], "x": {"#, "nested more than 64 deep"),
    ])
    func hostileOrBrokenTextNamesTheFieldAndStops(find: String, replace: String, message: String) throws {
        let text = Self.v1Text.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.v1Text)
        #expect { _ = try Self.read(text) } throws: { "\($0)".contains(message) }
    }

    @Test func truncatedTextSaysItEnds() throws {
        for n in [0, 1, 200, Self.v1Text.utf8.count - 1] {
            #expect(throws: JSONPull.Failure.self) { _ = try Self.read(String(Self.v1Text.prefix(n))) }
        }
    }

    @Test func aLongStringIsRefusedAtTheBoundNotHeld() throws {
        let text = Self.v1Text.replacingOccurrences(of: #""tool":"chainsnap 0.1.0""#,
                                                    with: #""tool":""# + String(repeating: "a", count: JSONPull.maxString + 1) + #"""#)
        #expect { _ = try Self.read(text, blockSize: 4096) } throws: { "\($0)".contains("longer than") }
    }

    @Test func aNewerVersionGetsTheUpgradeMessage() throws {
        let newer = Self.v1Text.replacingOccurrences(of: #""version" : 1"#, with: #""version" : 2"#)
            .replacingOccurrences(of: #""entries":["#, with: #""entries":7, "old":["#)
        let stored = try Array(newer.utf8).withUnsafeBytes { try ZstdCompressor(level: 3).compress($0) }
        #expect { _ = try SnapshotLayout.decode(stored, id: Self.id) } throws: { "\($0)".contains("uses manifest version 2") }
        // Version last (sorted keys) and a shape this build cannot read: the head is read again.
        let sortedNewer = newer.replacingOccurrences(of: #""version" : 2,"#, with: "") .replacingOccurrences(of: #" }"#, with: #", "version": 2 }"#)
        let stored2 = try Array(sortedNewer.utf8).withUnsafeBytes { try ZstdCompressor(level: 3).compress($0) }
        #expect { _ = try SnapshotLayout.decode(stored2, id: Self.id) } throws: { "\($0)".contains("uses manifest version 2") }
    }

    @Test func aTruncatedFrameIsCorruptNotShort() throws {
        let stored = try SnapshotLayout.encode(try Self.read(Self.v1Text))
        #expect { _ = try SnapshotLayout.decode(Array(stored.dropLast(3)), id: Self.id) } throws: { "\($0)".contains("corrupt") }
    }
}
