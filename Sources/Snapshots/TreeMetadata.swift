#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import RestoreCore
import SnapshotCore

/// Creates entries and applies modes and modification times in a restored tree.
enum TreeMetadata {
    static func makeDirectory(_ path: String) throws {
        try FS.makeDirectory(path, mode: 0o700)
    }

    static func makeSymlink(_ path: String, target: String) throws {
        try FS.makeSymlink(path, target: target)
    }

    /// Sets mode and mtime (nanoseconds) without following symlinks.
    static func apply(_ path: String, entry: Entry) throws {
        if entry.type != .symlink {
            try FS.setMode(path, entry.mode & RestoredModes.appliedBits)
        }
        try FS.setModificationTime(path, nanoseconds: entry.mtimeNs)
    }

    /// Like `apply`, but sets only what differs from the entry as it is (one `lstat` instead of
    /// a `chmod` and a `utimensat` for each entry an earlier run already finished).
    static func applyIfDifferent(_ path: String, entry: Entry) throws {
        guard let st = FS.lstatus(path) else { return try apply(path, entry: entry) }
        let mode = entry.mode & RestoredModes.appliedBits
        if entry.type != .symlink && UInt32(st.st_mode) & 0o7777 != mode {
            try FS.setMode(path, mode)
        }
        let ns = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        if ns != entry.mtimeNs {
            try FS.setModificationTime(path, nanoseconds: entry.mtimeNs)
        }
    }
}
