#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// An exclusive `flock(2)` on a file, held while this object lives (or until `unlock`).
///
/// A `flock` belongs to the open file description, so it dies with the process that holds it,
/// even on `kill -9`: a lock file left behind by a killed run never blocks the next one. The file
/// may be removed by its holder before unlocking (`removeFile`); a waiter that then gets the lock
/// of the removed inode sees `isStillAtPath` false and opens the path again, so two runs never
/// hold locks on two different inodes. The file's bytes say who holds it (`describe`), for the
/// message a second run prints.
public final class FileLock: @unchecked Sendable {
    public let path: String
    public let fd: Int32

    /// Opens (creating, mode 0644) `path`. Takes no lock yet.
    public init(path: String) throws {
        self.fd = try Syscall.run("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        self.path = path
    }

    /// Adopts `fd`, an open descriptor of `path` inherited from a parent process that holds the
    /// lock; nil unless `fd` really is that file (same device and inode).
    public init?(inherited fd: Int32, path: String) {
        var a = stat(), b = stat()
        guard fstat(fd, &a) == 0, stat(path, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino else { return nil }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Takes the exclusive lock without waiting: true when taken (or already held through this
    /// open file description), false when another holds it.
    public func tryLock() throws -> Bool {
        switch Syscall.attempt({ flock(fd, LOCK_EX | LOCK_NB) }) {
        case .success: return true
        case .failure(let f) where f.errno == EWOULDBLOCK || f.errno == EAGAIN: return false
        case .failure(let f): throw Syscall.error("flock", path: path, errno: f.errno)
        }
    }

    /// Whether `path` still names the locked file (a holder that finished may have removed it).
    public func isStillAtPath() -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Removes the lock file; call it while holding the lock, just before `unlock`.
    public func removeFile() {
        _ = unlink(path)
    }

    /// Releases the lock (closing the file would too).
    public func unlock() {
        _ = flock(fd, LOCK_UN)
    }

    /// Replaces the file's bytes with `bytes` (after locking: who holds it).
    public func describe(_ bytes: [UInt8]) throws {
        try Syscall.run("ftruncate", path: path) { ftruncate(fd, 0) }
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeBytes { p in
                try Syscall.run("write", path: path) { pwrite(fd, p.baseAddress! + done, p.count - done, off_t(done)) }
            }
            done += n
        }
    }

    /// The file's bytes, at most `limit` of them (a lock file is small; never trust its size).
    public static func contents(of path: String, limit: Int = 4096) -> [UInt8] {
        guard let f = try? RawFile(readingAt: path), let b = try? f.read(count: limit, at: 0) else { return [] }
        return b
    }

    /// A duplicate of the descriptor without close-on-exec, for a child process that is to hold
    /// the same lock (it shares the open file description). The caller closes it.
    public func inheritableDuplicate() throws -> Int32 {
        try Syscall.run("dup", path: path) { dup(fd) }
    }
}
