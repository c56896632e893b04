#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import RestoreCore
import SnapshotCore

/// A file's identity and version as `fstat` sees it: what must not move while the file is read.
struct FileStamp: Equatable, Sendable {
    var size: Int64
    var mtimeNs: Int64
    var ctimeNs: Int64
    var inode: UInt64

    init(_ st: stat) {
        size = Int64(st.st_size)
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNs = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        inode = UInt64(st.st_ino)
    }

    static func of(_ f: RawFile) throws -> FileStamp {
        var st = stat()
        try Syscall.run("fstat", path: f.path) { fstat(f.fd, &st) }
        return FileStamp(st)
    }
}

/// Files whose bytes changed while `snapshot create` read them (indices into the entries).
///
/// Every read of a file (a region of a large one, or a whole small one in a pack) checks
/// that the file still has the size and mtime the scan recorded, before and after the read, and
/// that size, mtime, ctime and inode did not move during it. Any difference, or a read cut short,
/// marks the file as changed: its bytes may be torn (half old, half new, or a prefix).
final class ChangedFiles: Sendable {
    private let marked = Locked<Set<Int>>([])

    func mark(_ i: Int) { marked.withLock { _ = $0.insert(i) } }
    var all: Set<Int> { marked.withLock { $0 } }
}

extension SnapshotCreator {
    /// Reads `range` of `buf` from `f` (entry `index`, at `path` in the tree, scanned with `size`
    /// and `mtimeNs`) at `offset`; marks the entry in `changed` when the file moved under the read
    /// (see `ChangedFiles`). A short read leaves zeros and marks it too.
    func readChecked(_ f: RawFile, index: Int, path: String, size: Int64, mtimeNs: Int64, into buf: UnsafeMutableRawBufferPointer,
                     range: Range<Int>, at offset: Int64, changed: ChangedFiles) throws {
        let before = try FileStamp.of(f)
        let target = UnsafeMutableRawBufferPointer(rebasing: buf[range])
        let n = try f.read(into: target, at: offset)
        if n < range.count { target.baseAddress!.advanced(by: n).initializeMemory(as: UInt8.self, repeating: 0, count: range.count - n) }
        TestPause.here("create-read", detail: path)
        let after = try FileStamp.of(f)
        if n < range.count || before != after || after.size != size || after.mtimeNs != mtimeNs {
            changed.mark(index)
        }
    }

    /// The retry of files that changed while read: each is stat'ed again (its entry takes the new
    /// size, mode and mtime) and read once more. Returns the updated entries, or throws when a file
    /// changed again and `allowChanging` is off.
    static func refreshEntries(_ entries: EntryTable, changed: Set<Int>, root: String) throws -> EntryTable {
        var out = entries
        for i in changed.sorted() {
            let full = root + "/" + entries[i].path
            guard let st = try FS.lstatusIfPresent(full), st.st_mode & S_IFMT == S_IFREG else {
                throw ChainsnapError(.io, "'\(full)' was removed or replaced while the snapshot was made", object: full,
                                     hint: Self.changingHint)
            }
            let stamp = FileStamp(st)
            var e = out[i]
            e.size = stamp.size
            e.mtimeNs = stamp.mtimeNs
            e.mode = UInt32(st.st_mode) & 0o7777
            e.extents = nil
            out[i] = e
        }
        return out
    }

    static let changingHint = "snapshot a stopped node or a CSI VolumeSnapshot clone, not a volume being written; or pass --allow-changing to store such files as read (possibly torn), knowingly"

    /// The error (or, with `allowChanging`, the warning) for files that changed during both reads.
    static func changedAgain(_ paths: [String], allowChanging: Bool) throws -> String {
        let shown = paths.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
        if allowChanging {
            return "stored \(shown) as read although \(paths.count == 1 ? "it" : "they") changed while being read, twice (--allow-changing): \(paths.count == 1 ? "its" : "their") bytes may be torn"
        }
        throw ChainsnapError(.io, "\(shown) changed while being read, and again when read a second time; no snapshot was written",
                             object: paths[0], hint: changingHint)
    }
}
