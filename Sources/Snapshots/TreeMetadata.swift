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
}
