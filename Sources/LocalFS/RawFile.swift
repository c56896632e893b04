#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// An open file descriptor with positional reads and writes. Closes itself on deinit.
public final class RawFile: @unchecked Sendable {
    public let fd: Int32
    public let path: String

    /// Opens `path` for reading.
    public init(readingAt path: String) throws {
        self.fd = try Syscall.run("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        self.path = path
    }

    /// Opens (creating if needed, never truncating) `path` for reading and writing.
    public init(writingAt path: String, mode: mode_t = 0o600, truncate: Bool = false) throws {
        self.fd = try Syscall.run("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), mode) }
        self.path = path
    }

    /// Opens (creating if needed) `path` for appending: every `append` lands at the end of the file.
    public init(appendingAt path: String, mode: mode_t = 0o600) throws {
        self.fd = try Syscall.run("open", path: path) { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode) }
        self.path = path
    }

    /// A new, empty file for reading and writing in `directory` (default `$TMPDIR`, else `/tmp`),
    /// already unlinked: it has no name, so it is gone when this closes it or the process dies,
    /// however it dies. `path` names the folder, for errors.
    public static func unlinkedTemporary(in directory: String? = nil) throws -> RawFile {
        let dir = directory ?? getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((dir + "/.chainsnap-spool-XXXXXX").utf8CString)
        let fd = try template.withUnsafeMutableBufferPointer { t in
            try Syscall.run("mkstemp", path: dir) { mkstemp(t.baseAddress!) }  // mkostemp is GNU-only, not in Glibc's module
        }
        let name = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let file = RawFile(adopting: fd, path: dir)
        try Syscall.run("unlink", path: name) { unlink(name) }
        try Syscall.run("fcntl", path: dir) { fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return file
    }

    /// Takes ownership of an already open descriptor (closed on deinit).
    init(adopting fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Appends `bytes` with a single write(2), so appends from several threads never interleave
    /// (`O_APPEND`); a short write throws rather than leaving half a record.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        let n = try Syscall.run("write", path: path) { Glibc.write(fd, bytes.baseAddress, bytes.count) }
        guard n == bytes.count else {
            throw ChainsnapError(.io, "write '\(path)' failed: \(n) of \(bytes.count) bytes written", object: path,
                                 hint: Syscall.hint(for: ENOSPC))
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset` unless the file ends first; returns bytes read.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try Syscall.run("read", path: path) {
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
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
            done += try Syscall.run("write", path: path) {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
        }
    }

    public func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Sets the file's length (holes where nothing was written stay sparse).
    public func setLength(_ length: Int64) throws {
        try Syscall.run("truncate", path: path) { ftruncate(fd, off_t(length)) }
    }

    /// Allocates disk blocks for `range` without changing the file's length or contents
    /// (Linux `fallocate`, mode 0). Returns false where the filesystem cannot (the caller
    /// just writes; glibc's `posix_fallocate` would emulate it by writing every block).
    /// Running out of space throws, before anything is written there.
    @discardableResult
    public func preallocate(_ range: Range<Int64>) throws -> Bool {
        guard !range.isEmpty, let fallocate = linuxFallocate else { return false }
        switch Syscall.attempt({ fallocate(fd, 0, off_t(range.lowerBound), off_t(range.count)) }) {
        case .success: return true
        case .failure(let f) where [EOPNOTSUPP, ENOSYS, EINVAL].contains(f.errno): return false
        case .failure(let f): throw Syscall.error("allocate space for", path: path, errno: f.errno)
        }
    }

    public func sync() throws {
        try Syscall.run("fsync", path: path) { fsync(fd) }
    }

    public func size() throws -> Int64 {
        var st = stat()
        try Syscall.run("stat", path: path) { fstat(fd, &st) }
        return Int64(st.st_size)
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
