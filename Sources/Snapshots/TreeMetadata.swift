#if canImport(Glibc)
import Glibc
#endif
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

    /// The mode bits a restore applies: permissions and the sticky bit. setuid/setgid are recorded
    /// in manifests but never applied, by snapshot and archive restores alike: chain data never
    /// needs them, and a restore (often run as root) must not grant privileges a publisher chose.
    static let appliedModeBits: UInt32 = 0o1777

    /// Sets mode and mtime (nanoseconds) without following symlinks.
    static func apply(_ path: String, entry: Entry) throws {
        if entry.type != .symlink {
            guard chmod(path, mode_t(entry.mode & appliedModeBits)) == 0 else { throw posixErrorPublic("chmod", path: path) }
        }
        // tv_nsec (1 << 30) - 2 is UTIME_OMIT (Glibc does not export the macro): leave atime alone.
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),
                     timespec(tv_sec: Int(entry.mtimeNs / 1_000_000_000), tv_nsec: Int(entry.mtimeNs % 1_000_000_000))]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw posixErrorPublic("set time of", path: path)
        }
    }
}
