import SnapshotCore

/// One file as a job reads it: everything the read needs, so a job can run while the scan that
/// found the file is still appending to the entry table.
struct FileRef: Sendable {
    let index: Int
    let path: String
    let size: Int64
    let mtimeNs: Int64
}

/// A job and the files it reads (one for a region, the pack's files for a pack), numbered in
/// the order planned: results are collected by that number.
struct PlannedJob: Sendable {
    let number: Int
    let job: SnapshotCreator.Job
    let files: [FileRef]
}

/// Cuts files into jobs as they are met in path order (the scan's order): large files into
/// fixed-size regions, small files into packs whose boundaries depend on the file names, so adding
/// one file changes only one pack. Large files whose path, size and mtime match the newest
/// snapshot keep its extents instead (`unchanged`; LSM files are immutable once written).
struct JobPlanner {
    let chunkSize: Int64
    let packThreshold: Int64
    /// The newest snapshot's large files by path (empty with `--rehash` or another chunk size).
    let previous: [String: Entry]
    let known: KnownChunks

    private(set) var jobs: [SnapshotCreator.Job] = []
    private(set) var unchanged: [Int: [Extent]] = [:]
    private var pack: [FileRef] = []
    private var packLen: Int64 = 0

    init(chunkSize: Int64, packThreshold: Int64, previous: [String: Entry] = [:], known: KnownChunks = KnownChunks([])) {
        self.chunkSize = chunkSize
        self.packThreshold = packThreshold
        self.previous = previous
        self.known = known
    }

    /// Plans entry `i` of `entries`; returns the jobs it completes (none while a pack fills).
    mutating func add(_ entries: EntryTable, _ i: Int) -> [PlannedJob] {
        guard entries.kind(at: i) == .file else { return [] }
        let size = entries.size(at: i)
        guard size > 0 else { return [] }
        let file = FileRef(index: i, path: entries.path(at: i), size: size, mtimeNs: entries.mtimeNs(at: i))
        if size < packThreshold {
            pack.append(file)
            packLen += size
            return packLen >= chunkSize || SnapshotCreator.isPackBoundary(file.path) ? closePack() : []
        }
        if let old = previous[file.path], old.size == size, old.mtimeNs == file.mtimeNs, let x = old.extents,
           x.allSatisfy({ $0.chunk == nil || known[$0.chunk!] != nil }) {
            unchanged[i] = x
            return []
        }
        var out: [PlannedJob] = []
        var off: Int64 = 0
        while off < size {
            let len = min(chunkSize, size - off)
            out.append(planned(.region(file: i, offset: off, length: len), [file]))
            off += len
        }
        return out
    }

    /// The last, partly filled pack.
    mutating func finish() -> [PlannedJob] { closePack() }

    private mutating func closePack() -> [PlannedJob] {
        guard !pack.isEmpty else { return [] }
        let j = planned(.pack(files: pack.map(\.index), length: packLen), pack)
        pack = []
        packLen = 0
        return [j]
    }

    private mutating func planned(_ job: SnapshotCreator.Job, _ files: [FileRef]) -> PlannedJob {
        jobs.append(job)
        return PlannedJob(number: jobs.count - 1, job: job, files: files)
    }
}
