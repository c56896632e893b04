#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// An open folder, for creating and finishing many files in it with `openat`/`fchmod`/`futimens`
/// on descriptors instead of resolving the full path again for every call (restores of small
/// files pay per system call, see issue 13). Closes itself on deinit.
public final class DirectoryHandle: @unchecked Sendable {
    public let fd: Int32
    public let path: String

    public init(_ path: String) throws {
        self.fd = try Syscall.run("open folder", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        self.path = path
    }

    deinit { close(fd) }

    /// Creates (or truncates) `name` in this folder for writing, never following a symlink there.
    /// `mode` is the creation mode (the umask applies); a file left read-only by an earlier,
    /// interrupted run is replaced.
    public func createFile(_ name: String, mode: UInt32) throws -> RawFile {
        let full = path + "/" + name
        let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW
        switch Syscall.attempt({ openat(fd, name, flags, mode_t(mode & 0o777)) }) {
        case .success(let f): return RawFile(adopting: f, path: full)
        case .failure(let e) where e.errno == EACCES:
            _ = Syscall.attempt { unlinkat(fd, name, 0) }
            let f = try Syscall.run("create", path: full) { openat(fd, name, flags, mode_t(mode & 0o777)) }
            return RawFile(adopting: f, path: full)
        case .failure(let e):
            throw Syscall.error("create", path: full, errno: e.errno)
        }
    }

    /// Opens `name` in this folder for reading, never following a symlink there. Nil when the
    /// name is gone or has become a symlink since it was listed (`ENOENT`, `ELOOP`): the caller
    /// treats the file as changed, it is not read through the link.
    public func openForReadingIfPresent(_ name: String) throws -> RawFile? {
        switch Syscall.attempt({ openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }) {
        case .success(let f): return RawFile(adopting: f, path: path + "/" + name)
        case .failure(let e) where e.errno == ENOENT || e.errno == ELOOP: return nil
        case .failure(let e): throw Syscall.error("open", path: path + "/" + name, errno: e.errno)
        }
    }

    /// Writes everything the file system holds in memory to disk (Linux `syncfs(2)`: every
    /// file, folder and rename on this folder's file system, one call however many files were
    /// written) and reports a write-back failure since the last call (Linux 5.8 and later).
    /// Falls back to `sync()` where `syncfs` is unavailable.
    public func syncFileSystem() throws {
        guard let syncfs = linuxSyncfs else {
            sync()
            return
        }
        try Syscall.run("syncfs", path: path) { syncfs(fd) }
    }

    /// The process's umask, read without changing it (`umask(2)` would race other threads).
    public static let umask: UInt32? = {
        // /proc files report size 0: read until the end rather than by length.
        guard let text = try? RawFile(readingAt: "/proc/self/status").read(count: 1 << 16, at: 0) else { return nil }
        for line in text.split(separator: 10) where line.starts(with: Array("Umask:".utf8)) {
            return UInt32(String(decoding: line.dropFirst(6), as: UTF8.self).trimmingCharacters(in: " \t"), radix: 8)
        }
        return nil
    }()

    /// Whether creating a file with `mode` leaves exactly `mode` (no umask bits, no
    /// setuid/setgid/sticky bits that `open` ignores), so no `fchmod` is needed afterwards.
    public static func creationKeeps(mode: UInt32) -> Bool {
        guard let u = umask else { return false }
        return mode & ~0o777 == 0 && mode & u == 0
    }
}

extension RawFile {
    /// Sets the permission bits of the open file.
    public func setMode(_ mode: UInt32) throws {
        try Syscall.run("chmod", path: path) { fchmod(fd, mode_t(mode)) }
    }

    /// Sets the modification time (nanoseconds since the epoch) of the open file; atime is kept.
    public func setModificationTime(nanoseconds ns: Int64) throws {
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),   // UTIME_OMIT
                     timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))]
        try Syscall.run("set time of", path: path) { futimens(fd, &times) }
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> Substring {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return s
    }
}

/// Swift's Glibc module is built without `_GNU_SOURCE`, so `syncfs` is looked up at run time.
private let linuxSyncfs: (@convention(c) (Int32) -> Int32)? = {
    #if canImport(Glibc)
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
    return unsafeBitCast(sym, to: (@convention(c) (Int32) -> Int32).self)
    #else
    return nil
    #endif
}()
