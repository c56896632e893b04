import Testing
import SnapshotCore
@testable import Snapshots

/// `JobPlanner` cuts files into jobs one at a time, as the scan finds them (issue 13: the walk runs
/// beside the reads); these pin the cuts it makes.
@Suite struct JobPlannerTests {
    static let chunk = String(repeating: "cd", count: 32)

    func plan(_ entries: EntryTable, previous: [String: Entry] = [:], known: [ChunkInfo] = []) -> (JobPlanner, [PlannedJob]) {
        var p = JobPlanner(chunkSize: 4096, packThreshold: 1024, previous: previous, known: KnownChunks(known))
        var out: [PlannedJob] = []
        for i in entries.indices { out += p.add(entries, i) }
        out += p.finish()
        return (p, out)
    }

    func file(_ path: String, _ size: Int64, mtime: Int64 = 7) -> Entry {
        Entry(path: path, type: .file, mode: 0o644, mtimeNs: mtime, size: size)
    }

    @Test("small files fill packs up to the chunk size or a boundary name; large ones are cut into regions; folders and empty files make no job")
    func cuts() {
        let names = (0..<40).map { "db/f\($0)" }
        var entries: [Entry] = [Entry(path: "db", type: .dir, mode: 0o755, mtimeNs: 1)]
        entries += names.map { file($0, 500) }
        entries.append(file("db/g-empty", 0))
        entries.append(file("db/z-large", 10_000))
        let (p, jobs) = plan(EntryTable(entries))
        #expect(jobs.map(\.number) == Array(0..<jobs.count))
        #expect(p.jobs.count == jobs.count)
        var packed: [String] = []
        for j in jobs {
            guard case .pack(let files, let length) = j.job else { continue }
            #expect(files == j.files.map(\.index))
            #expect(length == j.files.reduce(0) { $0 + $1.size })
            // A pack closes when it reaches the chunk size or ends on a boundary name, never otherwise.
            let last = j.files.last!.path
            // (The last job is the pack still open when the files ran out.)
            if j.number < jobs.count - 1 { #expect(length >= 4096 || SnapshotCreator.isPackBoundary(last), "\(last)") }
            #expect(length - j.files.last!.size < 4096)
            packed += j.files.map(\.path)
        }
        #expect(packed == names, "every small file once, in order")
        let regions = jobs.compactMap { j -> (Int64, Int64)? in
            if case .region(_, let off, let len) = j.job { return (off, len) } else { return nil }
        }
        #expect(regions.map(\.0) == [0, 4096, 8192])
        #expect(regions.map(\.1) == [4096, 4096, 1808])
        #expect(jobs.filter { if case .region = $0.job { return true } else { return false } }.allSatisfy { $0.files.map(\.path) == ["db/z-large"] })
        if case .pack = jobs.last!.job {} else { Issue.record("the open pack is planned last, at finish") }
    }

    @Test("a large file keeps the newest snapshot's extents only when its size and mtime match and its chunks are known")
    func unchangedLargeFiles() {
        let old = Entry(path: "a.sst", type: .file, mode: 0o644, mtimeNs: 7, size: 5000,
                        extents: [Extent(chunk: Self.chunk, offset: 0, length: 4096), Extent(chunk: nil, offset: 0, length: 904)])
        let known = [ChunkInfo(id: Self.chunk, size: 4096, stored: 10, codec: "zstd")]
        let same = plan(EntryTable([file("a.sst", 5000)]), previous: ["a.sst": old], known: known)
        #expect(same.1.isEmpty)
        #expect(same.0.unchanged[0] == old.extents)
        for changed in [file("a.sst", 5001), file("a.sst", 5000, mtime: 8)] {
            let p = plan(EntryTable([changed]), previous: ["a.sst": old], known: known)
            #expect(p.0.unchanged.isEmpty)
            #expect(p.1.count == 2)
        }
        let unknownChunk = plan(EntryTable([file("a.sst", 5000)]), previous: ["a.sst": old], known: [])
        #expect(unknownChunk.0.unchanged.isEmpty, "a chunk the store may have lost is read again")
    }
}
