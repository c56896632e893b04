#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// Funnels a failed system call into a `ChainsnapError` that names the call and the path.
public func posixErrorPublic(_ what: String, path: String, errno e: Int32 = errno) -> ChainsnapError { posixError(what, path: path, errno: e) }

func posixError(_ what: String, path: String, errno e: Int32 = errno) -> ChainsnapError {
    let reason = String(cString: strerror(e))
    var hint: String?
    switch e {
    case ENOSPC: hint = "the filesystem is full; free space or use a larger volume, then run again (finished work is kept)"
    case EACCES, EPERM: hint = "check the permissions of the path and the user chainsnap runs as"
    case EROFS: hint = "the filesystem is mounted read-only"
    case ENOENT: hint = nil
    default: hint = nil
    }
    let code: ChainsnapError.Code = e == ENOENT ? .notFound : (e == ENOSPC ? .insufficientSpace : .io)
    return ChainsnapError(code, "\(what) '\(path)' failed: \(reason)", object: path, hint: hint)
}

/// An open file descriptor with positional reads and writes. Closes itself on deinit.
public final class RawFile: @unchecked Sendable {
    public let fd: Int32
    public let path: String

    /// Opens `path` for reading.
    public init(readingAt path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("open", path: path) }
        self.fd = fd
        self.path = path
    }

    /// Opens (creating if needed, never truncating) `path` for reading and writing.
    public init(writingAt path: String, mode: mode_t = 0o600, truncate: Bool = false) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), mode)
        guard fd >= 0 else { throw posixError("open", path: path) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Reads exactly `buffer.count` bytes at `offset` unless the file ends first; returns bytes read.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("read", path: path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    public func read(count: Int, at offset: Int64) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { p, n in
            n = 0
            n = try read(into: UnsafeMutableRawBufferPointer(p), at: offset)
        }
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("write", path: path)
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Sets the file's length (holes where nothing was written stay sparse).
    public func setLength(_ length: Int64) throws {
        while ftruncate(fd, off_t(length)) != 0 {
            if errno == EINTR { continue }
            throw posixError("truncate", path: path)
        }
    }

    /// Allocates disk blocks for `range` without changing the file's length or contents
    /// (Linux `fallocate`, mode 0). Returns false where the filesystem cannot (the caller
    /// just writes; glibc's `posix_fallocate` would emulate it by writing every block).
    /// Running out of space throws, before anything is written there.
    @discardableResult
    public func preallocate(_ range: Range<Int64>) throws -> Bool {
        guard !range.isEmpty, let fallocate = linuxFallocate else { return false }
        while fallocate(fd, 0, off_t(range.lowerBound), off_t(range.count)) != 0 {
            switch errno {
            case EINTR: continue
            case EOPNOTSUPP, ENOSYS, EINVAL: return false
            default: throw posixError("allocate space for", path: path)
            }
        }
        return true
    }

    public func sync() throws {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw posixError("fsync", path: path)
        }
    }

    public func size() throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw posixError("stat", path: path) }
        return Int64(st.st_size)
    }
}

/// Small POSIX file-system helpers used by the stores and the restore engine.
public enum FS {
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a folder and its parents (like `mkdir -p`).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw posixError("mkdir", path: prefix) }
        }
        guard isDirectory(path) else { throw ChainsnapError(.io, "'\(path)' exists and is not a folder", object: path) }
    }

    /// Renames atomically within one filesystem.
    public static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw posixError("rename to '\(to)' of", path: from) }
    }

    /// fsyncs a folder so renames and new entries inside it are durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Names in a folder, excluding `.` and `..`.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw posixError("open folder", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Names in a folder as bytes (Linux names need not be UTF-8), excluding `.` and `..`.
    public static func listDirectoryBytes(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw posixError("open folder", path: PathRules.display(path))
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    /// Renames atomically within one filesystem; paths as bytes (names need not be UTF-8).
    public static func rename(bytes from: [UInt8], _ to: [UInt8]) throws {
        guard withCPath(from, { f in withCPath(to) { Glibc.rename(f, $0) } }) == 0 else {
            throw posixError("rename to '\(PathRules.display(to))' of", path: PathRules.display(from))
        }
    }

    /// Whether anything (a dangling symlink too) exists at a byte path.
    public static func exists(bytes path: [UInt8]) -> Bool {
        var st = stat()
        return withCPath(path, { lstat($0, &st) }) == 0
    }

    /// Calls `body` with a byte path as a NUL-terminated C string.
    public static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (path + [0]).withUnsafeBufferPointer { b in
            try b.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Removes a file, symlink or folder tree. Missing paths are fine.
    public static func removeTree(_ path: String) throws {
        try removeTree(bytes: Array(path.utf8))
    }

    /// `removeTree` of a byte path: names inside that are not UTF-8 are removed too.
    public static func removeTree(bytes path: [UInt8]) throws {
        var st = stat()
        guard withCPath(path, { lstat($0, &st) }) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectoryBytes(path) { try removeTree(bytes: path + [0x2f] + name) }
            guard withCPath(path, { rmdir($0) }) == 0 else { throw posixError("remove folder", path: PathRules.display(path)) }
        } else {
            guard withCPath(path, { unlink($0) }) == 0 || errno == ENOENT else {
                throw posixError("remove", path: PathRules.display(path))
            }
        }
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
            unlink(tmp)
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
        guard statvfs(path, &s) == 0 else { throw posixError("statvfs", path: path) }
        return (Int64(s.f_bavail) * Int64(s.f_frsize), Int64(s.f_favail))
    }

    /// The device id of the filesystem holding `path`.
    public static func device(_ path: String) throws -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw posixError("stat", path: path) }
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

/// Swift's Glibc module is built without `_GNU_SOURCE`, so `fallocate` is looked up at run time.
private let linuxFallocate: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32)? = {
    #if canImport(Glibc)
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
    return unsafeBitCast(sym, to: (@convention(c) (Int32, Int32, off_t, off_t) -> Int32).self)
    #else
    return nil
    #endif
}()
