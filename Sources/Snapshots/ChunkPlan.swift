import SnapshotCore

/// Every chunk a snapshot restore still has to write, and where its bytes go, by chunk-table index.
///
/// At 500,000 chunks a dictionary from id strings to arrays of destinations held some 130 MB
/// (a bucket, an array header and an id per chunk). Here the destinations of all chunks are one
/// flat array, each chunk's a slice of it (`starts[i]..<starts[i + 1]`): 8 bytes a chunk plus
/// 32 a destination, and 4 bytes a chunk for the list of those still to write.
struct ChunkPlan: Sendable {
    typealias Destination = SnapshotRestorer.Destination

    private let starts: [Int]
    private let dests: [Destination]
    /// Table indexes of the chunks still to write, in the order of their ids (the store's key
    /// order); a chunk no file names is not here.
    private(set) var remaining: [Int32]

    /// The plan of `m`, whose extents all name chunks of its table (`ManifestValidator` checks so).
    init(_ m: Manifest, index: ChunkTableIndex) throws {
        // First pass: which chunk each extent names, and how many destinations each chunk has.
        var counts = [Int](repeating: 0, count: m.chunks.count)
        var named: [Int32] = []
        for i in m.entries.indices where m.entries.kind(at: i) == .file {
            try m.entries.forEachExtent(at: i) { x in
                guard let c = x.chunk else { return }
                guard let k = index.index(of: c) else {
                    throw ChainsnapError(.corrupt, "manifest \(m.id): '\(m.entries.path(at: i))' names chunk \(c), which its chunk table does not list")
                }
                counts[k] += 1
                named.append(Int32(k))
            }
        }
        var starts = [Int](repeating: 0, count: m.chunks.count + 1)
        for k in 0..<m.chunks.count { starts[k + 1] = starts[k] + counts[k] }
        // Second pass: each destination into its chunk's slice, in entry order.
        var next = Array(starts.dropLast())
        var dests = [Destination](repeating: Destination(entry: 0, fileOffset: 0, chunkOffset: 0, length: 0), count: named.count)
        var n = 0
        for i in m.entries.indices where m.entries.kind(at: i) == .file {
            var off: Int64 = 0
            m.entries.forEachExtent(at: i) { x in
                if x.chunk != nil {
                    let k = Int(named[n])
                    n += 1
                    dests[next[k]] = Destination(entry: i, fileOffset: off, chunkOffset: x.offset, length: x.length)
                    next[k] += 1
                }
                off += x.length
            }
        }
        self.starts = starts
        self.dests = dests
        remaining = index.indexesByID.filter { counts[Int($0)] > 0 }
    }

    /// Where the bytes of chunk-table entry `chunk` go.
    func destinations(of chunk: Int32) -> ArraySlice<Destination> {
        dests[starts[Int(chunk)]..<starts[Int(chunk) + 1]]
    }

    /// Drops from `remaining` the chunks for which `done` is true.
    mutating func removeAll(where done: (Int32) throws -> Bool) rethrows {
        try remaining.removeAll(where: done)
    }
}
