#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore

/// Making an extracted tree durable before it is moved into place and the marker says "done".
///
/// Files are not fsynced one by one on the extract thread (that would serialise the restore on
/// the disk): large files start their writeback as soon as they are closed, and one `syncfs`
/// of the target's filesystem waits for all of it at the end. Both calls are Linux extensions
/// that Swift's Glibc module does not export (no `_GNU_SOURCE`), so they are looked up at run time.
enum ArchiveDurability {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private typealias SyncFS = @convention(c) (Int32) -> Int32

    private static let syncFileRange: SyncFileRange? = lookup("sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }
    private static let syncfs: SyncFS? = lookup("syncfs").map { unsafeBitCast($0, to: SyncFS.self) }

    private static func lookup(_ name: String) -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
        #else
        return nil
        #endif
    }

    /// Starts writing a closed file's data to disk without waiting (SYNC_FILE_RANGE_WRITE).
    static func startWriteback(_ fd: Int32) {
        _ = syncFileRange?(fd, 0, 0, 2)
    }

    /// Waits until everything written to the filesystem holding `path` is on disk.
    static func syncFilesystem(of path: String) throws {
        let fd = try Syscall.run("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        if let syncfs {
            // A failed syncfs means written data may not be on disk (EIO, ENOSPC on writeback).
            try Syscall.run("flushing the restored files to disk in", path: path) { syncfs(fd) }
        } else {
            sync()
        }
    }
}
