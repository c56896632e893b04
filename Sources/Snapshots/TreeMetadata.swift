#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore
import Stores

/// Creates entries and applies modes and modification times in a restored tree.
enum TreeMetadata {
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw posixErrorPublic("mkdir", path: path) }
    }

    static func makeSymlink(_ path: String, target: String) throws {
        if symlink(target, path) != 0 {
            if errno == EEXIST {
                unlink(path)
                if symlink(target, path) == 0 { return }
            }
            throw posixErrorPublic("symlink", path: path)
        }
    }

    /// Sets mode and mtime (nanoseconds) without following symlinks.
    static func apply(_ path: String, entry: Entry) throws {
        if entry.type != .symlink {
            guard chmod(path, mode_t(entry.mode)) == 0 else { throw posixErrorPublic("chmod", path: path) }
        }
        // tv_nsec (1 << 30) - 2 is UTIME_OMIT (Glibc does not export the macro): leave atime alone.
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),
                     timespec(tv_sec: Int(entry.mtimeNs / 1_000_000_000), tv_nsec: Int(entry.mtimeNs % 1_000_000_000))]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw posixErrorPublic("set time of", path: path)
        }
    }
}
