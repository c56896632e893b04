/// A manifest's entries in compact form: a collection of `Entry` values that are not stored as
/// `Entry` values.
///
/// An `Entry` costs some 190 bytes in memory (a 72-byte struct, a heap `String` for its path, a
/// heap `[Extent]` for its extents). Here a file costs about 80: a fixed 56-byte record, its path's
/// bytes in one shared byte arena, and its extents as 24-byte records in one flat array for all
/// files, each naming its chunk by an index into a table of distinct chunk ids (shared `String`s).
/// At a million files that is some 90 MB less. Reading an element builds the `Entry` on the fly;
/// the accessors (`path(at:)`, `kind(at:)`, `size(at:)`, `forEachExtent`) read a field without that.
///
/// Records and extents live in `SegmentedArray`s, so the table grows without the copy (and the
/// unused half) of a doubling array. Writing an element replaces its record; new path bytes and extents are appended (the old ones
/// stay unused), so set each entry's extents once, as `snapshot create` does.
public struct EntryTable: Sendable, RandomAccessCollection, MutableCollection, RangeReplaceableCollection, ExpressibleByArrayLiteral, Equatable, Codable {
    struct Record: Sendable {
        var pathStart: Int
        /// Index of the first extent in `extents`.
        var extentStart: Int
        var mtimeNs: Int64
        var size: Int64
        var pathLength: UInt32
        var mode: UInt32
        /// -1: no extents (`Entry.extents == nil`).
        var extentCount: Int32
        /// Index into `targets`, or -1.
        var target: Int32
        var kind: UInt8
    }

    struct ExtentRecord: Sendable {
        var offset: Int64
        var length: Int64
        /// Index into `chunkIDs`, or -1 for a run of zeros.
        var chunk: Int32
    }

    private var records = SegmentedArray<Record>()
    private var pathBytes: [UInt8] = []
    private var extentRecords = SegmentedArray<ExtentRecord>()
    private var targets: [String] = []
    /// Distinct chunk ids in the order first seen, and their index.
    private var chunkIDs: [String] = []
    private var chunkIndex: [String: Int32] = [:]

    public init() {}

    public init<S: Sequence>(_ entries: S) where S.Element == Entry {
        self.init()
        for e in entries { append(e) }
    }

    public init(arrayLiteral elements: Entry...) { self.init(elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { records.count }

    public subscript(i: Int) -> Entry {
        get {
            let r = records[i]
            var extents: [Extent]?
            if r.extentCount >= 0 {
                extents = (r.extentStart..<(r.extentStart + Int(r.extentCount))).map { extent(extentRecords[$0]) }
            }
            return Entry(path: path(of: r), type: Self.kinds[Int(r.kind)], mode: r.mode, mtimeNs: r.mtimeNs, size: r.size,
                         target: r.target < 0 ? nil : targets[Int(r.target)], extents: extents)
        }
        set { records[i] = record(for: newValue, replacing: records[i]) }
    }

    public mutating func append(_ e: Entry) { records.append(record(for: e, replacing: nil)) }

    /// Replaces entries (appending is cheap; anywhere else the records are copied once: tests, small tables).
    public mutating func replaceSubrange<C: Collection>(_ range: Range<Int>, with entries: C) where C.Element == Entry {
        var new: [Record] = []
        new.reserveCapacity(entries.count)
        for e in entries { new.append(record(for: e, replacing: nil)) }
        if range == endIndex..<endIndex {
            for r in new { records.append(r) }
            return
        }
        var rebuilt = SegmentedArray<Record>()
        for i in 0..<range.lowerBound { rebuilt.append(records[i]) }
        for r in new { rebuilt.append(r) }
        for i in range.upperBound..<records.count { rebuilt.append(records[i]) }
        records = rebuilt
    }

    // MARK: fields without building an `Entry`

    public func path(at i: Int) -> String { path(of: records[i]) }

    public func kind(at i: Int) -> Entry.Kind { Self.kinds[Int(records[i].kind)] }

    public func size(at i: Int) -> Int64 { records[i].size }

    /// The number of extents of entry `i` (nil when it has none listed).
    public func extentCount(at i: Int) -> Int? { records[i].extentCount < 0 ? nil : Int(records[i].extentCount) }

    /// Calls `body` with each extent of entry `i`, in order (the chunk id shared, not copied).
    public func forEachExtent(at i: Int, _ body: (Extent) throws -> Void) rethrows {
        let r = records[i]
        guard r.extentCount > 0 else { return }
        for k in r.extentStart..<(r.extentStart + Int(r.extentCount)) { try body(extent(extentRecords[k])) }
    }

    /// Calls `body` with entry `i`'s path bytes, borrowed from the table (valid only inside `body`):
    /// the manifest writer and the sort read paths this way, without a `String` per entry.
    public func withPathBytes<T>(at i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let r = records[i]
        return try pathBytes.withUnsafeBufferPointer { p in
            try body(UnsafeBufferPointer(rebasing: p[r.pathStart..<(r.pathStart + Int(r.pathLength))]))
        }
    }

    public func mode(at i: Int) -> UInt32 { records[i].mode }

    public func mtimeNs(at i: Int) -> Int64 { records[i].mtimeNs }

    /// A symlink's target (nil for other entries).
    public func target(at i: Int) -> String? { records[i].target < 0 ? nil : targets[Int(records[i].target)] }

    /// Sets the extents of entry `i` (the rest of it unchanged).
    public mutating func setExtents(at i: Int, _ extents: [Extent]?) {
        var r = records[i]
        store(extents, in: &r)
        records[i] = r
    }

    /// Sorts the entries by the bytes of their paths (the manifest's order), without building any `Entry`.
    public mutating func sortByPath() {
        let rs = records
        var order = Array(0..<rs.count)
        pathBytes.withUnsafeBufferPointer { p in
            order.sort { i, j in
                let a = rs[i], b = rs[j]
                let x = UnsafeBufferPointer(rebasing: p[a.pathStart..<(a.pathStart + Int(a.pathLength))])
                let y = UnsafeBufferPointer(rebasing: p[b.pathStart..<(b.pathStart + Int(b.pathLength))])
                return x.lexicographicallyPrecedes(y)
            }
        }
        records.permute(order)
    }

    /// Bytes held (capacity of the arrays; the `String`s of chunk ids and targets not counted).
    public var approximateBytes: Int {
        records.capacityBytes + pathBytes.capacity + extentRecords.capacityBytes + chunkIDs.capacity * 16 + chunkIndex.capacity * 24
    }

    // MARK: storage

    private static let kinds: [Entry.Kind] = [.file, .dir, .symlink]

    private static func code(_ k: Entry.Kind) -> UInt8 {
        switch k {
        case .file: return 0
        case .dir: return 1
        case .symlink: return 2
        }
    }

    private func extent(_ x: ExtentRecord) -> Extent {
        Extent(chunk: x.chunk < 0 ? nil : chunkIDs[Int(x.chunk)], offset: x.offset, length: x.length)
    }

    private func path(of r: Record) -> String {
        pathBytes.withUnsafeBufferPointer { p in
            String(decoding: UnsafeBufferPointer(rebasing: p[r.pathStart..<(r.pathStart + Int(r.pathLength))]), as: UTF8.self)
        }
    }

    private mutating func record(for e: Entry, replacing old: Record?) -> Record {
        var r = Record(pathStart: 0, extentStart: 0, mtimeNs: e.mtimeNs, size: e.size, pathLength: 0, mode: e.mode,
                       extentCount: -1, target: -1, kind: Self.code(e.type))
        if let old, path(of: old) == e.path {
            (r.pathStart, r.pathLength) = (old.pathStart, old.pathLength)
        } else {
            var p = e.path
            r.pathStart = pathBytes.count
            p.withUTF8 { pathBytes.append(contentsOf: $0) }
            r.pathLength = UInt32(pathBytes.count - r.pathStart)
        }
        if let t = e.target {
            if let old, old.target >= 0, targets[Int(old.target)] == t {
                r.target = old.target
            } else {
                r.target = Int32(targets.count)
                targets.append(t)
            }
        }
        if let old { (r.extentStart, r.extentCount) = (old.extentStart, old.extentCount) }
        store(e.extents, in: &r)
        return r
    }

    /// Writes `extents` for record `r`: over its old ones when the count is the same, else at the end.
    private mutating func store(_ extents: [Extent]?, in r: inout Record) {
        guard let extents else { r.extentCount = -1; return }
        if Int(r.extentCount) != extents.count || r.extentCount < 0 {
            r.extentStart = extentRecords.count
            for _ in extents { extentRecords.append(ExtentRecord(offset: 0, length: 0, chunk: -1)) }
        }
        r.extentCount = Int32(extents.count)
        for (k, x) in extents.enumerated() {
            let chunk = x.chunk.map { chunkNumber($0) } ?? -1
            extentRecords[r.extentStart + k] = ExtentRecord(offset: x.offset, length: x.length, chunk: chunk)
        }
    }

    private mutating func chunkNumber(_ id: String) -> Int32 {
        if let n = chunkIndex[id] { return n }
        let n = Int32(chunkIDs.count)
        chunkIDs.append(id)
        chunkIndex[id] = n
        return n
    }

    // MARK: Equatable, Codable (as the array of entries)

    public static func == (a: EntryTable, b: EntryTable) -> Bool { a.elementsEqual(b) }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([Entry].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Array(self))
    }
}
