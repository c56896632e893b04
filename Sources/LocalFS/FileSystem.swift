#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// File-system operations on paths, used by the stores, the restores and the chain-data
/// importer. Every call goes through `Syscall` (EINTR retried, errno mapped with its hint).
public enum FS {
    public static func exists(_ path: String) -> Bool {
        lstatus(path) != nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `lstat(2)`: the entry at `path` itself (a symlink is not followed); nil when nothing is there.
    public static func lstatus(_ path: String) -> stat? {
        var st = stat()
        guard case .success = Syscall.attempt({ lstat(path, &st) }) else { return nil }
        return st
    }

    /// `lstat(2)` that throws for anything but "not there" (`ENOENT`, `ENOTDIR`: nil).
    public static func lstatusIfPresent(_ path: String) throws -> stat? {
        var st = stat()
        switch Syscall.attempt({ lstat(path, &st) }) {
        case .success: return st
        case .failure(let f) where f.errno == ENOENT || f.errno == ENOTDIR: return nil
        case .failure(let f): throw Syscall.error("stat", path: path, errno: f.errno)
        }
    }

    /// `stat(2)` (symlinks followed) that returns nil when nothing is there (`ENOENT`, `ENOTDIR`).
    public static func statusIfPresent(_ path: String) throws -> stat? {
        var st = stat()
        switch Syscall.attempt({ stat(path, &st) }) {
        case .success: return st
        case .failure(let f) where f.errno == ENOENT || f.errno == ENOTDIR: return nil
        case .failure(let f): throw Syscall.error("stat", path: path, errno: f.errno)
        }
    }

    /// The modification time (seconds since the epoch) of the entry at `path`, nil when nothing is there.
    public static func modificationTime(_ path: String) -> Double? {
        var st = stat()
        guard case .success = Syscall.attempt({ stat(path, &st) }) else { return nil }
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    /// Creates one folder; an existing entry of that name is fine (the caller checks what it is).
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        switch Syscall.attempt({ mkdir(path, mode) }) {
        case .success: return
        case .failure(let f) where f.errno == EEXIST: return
        case .failure(let f): throw Syscall.error("mkdir", path: path, errno: f.errno)
        }
    }

    /// Creates a folder and its parents (like `mkdir -p`).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            try makeDirectory(prefix, mode: mode)
        }
        guard isDirectory(path) else { throw ChainsnapError(.io, "'\(path)' exists and is not a folder", object: path) }
    }

    /// Creates a symlink at `path` pointing to `target`, replacing a file or symlink already there.
    public static func makeSymlink(_ path: String, target: String) throws {
        switch Syscall.attempt({ symlink(target, path) }) {
        case .success: return
        case .failure(let f) where f.errno == EEXIST:
            try? remove(path)
            try Syscall.run("symlink", path: path) { symlink(target, path) }
        case .failure(let f): throw Syscall.error("symlink", path: path, errno: f.errno)
        }
    }

    /// The target of the symlink at `path`.
    public static func readLink(_ path: String) throws -> String {
        String(decoding: try readLinkBytes(path), as: UTF8.self)
    }

    /// A symlink's target as the bytes the kernel holds (Linux names need not be UTF-8).
    public static func readLinkBytes(_ path: String) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try buf.withUnsafeMutableBufferPointer { p in
            try p.withMemoryRebound(to: CChar.self) { c in
                try Syscall.run("readlink", path: path) { readlink(path, c.baseAddress!, c.count) }
            }
        }
        return Array(buf[0..<n])
    }

    /// Sets the permission bits (follows symlinks, like `chmod(2)`).
    public static func setMode(_ path: String, _ mode: UInt32) throws {
        try Syscall.run("chmod", path: path) { chmod(path, mode_t(mode)) }
    }

    /// Sets the modification time (nanoseconds since the epoch) of the entry at `path` itself
    /// (a symlink is not followed); the access time is left alone.
    public static func setModificationTime(_ path: String, nanoseconds ns: Int64) throws {
        // tv_nsec (1 << 30) - 2 is UTIME_OMIT (Glibc does not export the macro): leave atime alone.
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),
                     timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))]
        try Syscall.run("set time of", path: path) { utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Renames atomically within one filesystem.
    public static func rename(_ from: String, _ to: String) throws {
        try Syscall.run("rename to '\(to)' of", path: from) { Glibc.rename(from, to) }
    }

    /// fsyncs a folder so renames and new entries inside it are durable (best effort: a
    /// filesystem that cannot fsync folders is not an error).
    public static func syncDirectory(_ path: String) {
        guard case .success(let fd) = Syscall.attempt({ open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }) else { return }
        _ = Syscall.attempt { fsync(fd) }
        close(fd)
    }

    /// The NUL-terminated name of the entry `readdir` returned, read in place. `ent.pointee` would
    /// copy a whole `struct dirent` (280 bytes), but glibc packs entries by their `d_reclen`: the last
    /// one of a buffer can end right at an unmapped page, and the copy then faults (seen listing a
    /// store folder of 2,048 chunks).
    static func dirName(_ ent: UnsafeMutablePointer<dirent>) -> UnsafePointer<CChar> {
        UnsafeRawPointer(ent).advanced(by: MemoryLayout<dirent>.offset(of: \dirent.d_name)!).assumingMemoryBound(to: CChar.self)
    }

    /// Names in a folder, excluding `.` and `..`.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw Syscall.error("open folder", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = String(cString: dirName(ent))
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or symlink. A missing path is fine.
    public static func remove(_ path: String) throws {
        switch Syscall.attempt({ unlink(path) }) {
        case .success: return
        case .failure(let f) where f.errno == ENOENT: return
        case .failure(let f): throw Syscall.error("remove", path: path, errno: f.errno)
        }
    }

    /// Removes a file, symlink or folder tree. Missing paths are fine.
    public static func removeTree(_ path: String) throws {
        try removeTree(bytes: Array(path.utf8))
    }

    /// Writes a small file atomically: temp file in the same folder, fsync, rename, fsync folder.
    /// With `durable: false` the data and rename reach the disk at the next sync instead.
    public static func writeAtomically(_ path: String, bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws {
        let dir = parent(of: path)
        let tmp = dir + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            let f = try RawFile(writingAt: tmp, mode: mode, truncate: true)
            try f.write(bytes, at: 0)
            if durable { try f.sync() }
            try rename(tmp, path)
        } catch {
            try? remove(tmp)
            throw error
        }
        if durable { syncDirectory(dir) }
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        let f = try RawFile(readingAt: path)
        return try f.read(count: Int(try f.size()), at: 0)
    }

    public static func parent(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }

    /// Free bytes and free inodes available to an unprivileged writer on the filesystem holding `path`.
    public static func freeSpace(_ path: String) throws -> (bytes: Int64, inodes: Int64) {
        var s = statvfs()
        try Syscall.run("statvfs", path: path) { statvfs(path, &s) }
        return (Int64(s.f_bavail) * Int64(s.f_frsize), Int64(s.f_favail))
    }

    /// The device id of the filesystem holding `path`.
    public static func device(_ path: String) throws -> UInt64 {
        var st = stat()
        try Syscall.run("stat", path: path) { stat(path, &st) }
        return UInt64(st.st_dev)
    }

    /// Makes `path` absolute against the current folder and removes `.`/empty components.
    public static func absolute(_ path: String) -> String {
        var base = path
        if !path.hasPrefix("/") {
            var buf = [UInt8](repeating: 0, count: 4096)
            let ok = buf.withUnsafeMutableBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { getcwd($0.baseAddress, $0.count) != nil }
            }
            let cwd = ok ? String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self) : "."
            base = cwd + "/" + path
        }
        var parts: [Substring] = []
        for p in base.split(separator: "/") {
            if p == "." { continue }
            if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(p)
        }
        return "/" + parts.joined(separator: "/")
    }
}
