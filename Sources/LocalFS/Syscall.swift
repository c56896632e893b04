#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// The one funnel for system calls on local files, in the spirit of swift-nio's
/// `syscall(blocking:where:_:)` (NIOPosix/System.swift): a call interrupted by a signal
/// (`EINTR`) is made again, and a failure becomes a `ChainsnapError` that names the call, the
/// path and what to do, with the hints of `Syscall.hint(for:)` — the only errno table in the
/// project. Every module makes its file-system calls through here (or through `RawFile`/`FS`,
/// which do).
public enum Syscall {
    /// Calls `body` until it does not fail with `EINTR`; returns its result, or throws
    /// `Syscall.error(what, path:, errno:)` when it returns a negative value.
    @discardableResult
    @inline(__always)
    public static func run<T: FixedWidthInteger & SignedInteger>(_ what: String, path: String, _ body: () throws -> T) throws -> T {
        switch try attempt(body) {
        case .success(let r): return r
        case .failure(let f): throw error(what, path: path, errno: f.errno)
        }
    }

    /// Like `run`, but hands a failure's errno back instead of throwing, for calls where some
    /// errors are answers (`EEXIST` from `mkdir`, `ENOENT` from `unlink`, `EOPNOTSUPP` from
    /// `fallocate`). Map the rest with `Syscall.error`.
    @inline(__always)
    public static func attempt<T: FixedWidthInteger & SignedInteger>(_ body: () throws -> T) rethrows -> Result<T, Failure> {
        while true {
            let r = try body()
            if r >= 0 { return .success(r) }
            let e = errno
            if e == EINTR { continue }
            return .failure(Failure(errno: e))
        }
    }

    /// An errno returned by `attempt`.
    public struct Failure: Error, Equatable, Sendable {
        public let errno: Int32
        public init(errno: Int32) { self.errno = errno }
    }

    /// The error for `what` failing on `path` with `errno`: "`what` '`path`' failed: `strerror`",
    /// with the category and hint for that errno.
    public static func error(_ what: String, path: String, errno e: Int32 = errno) -> ChainsnapError {
        ChainsnapError(code(for: e), "\(what) '\(path)' failed: \(String(cString: strerror(e)))", object: path, hint: hint(for: e))
    }

    /// The error category of an errno: not found, out of space, or I/O.
    public static func code(for e: Int32) -> ChainsnapError.Code {
        switch e {
        case ENOENT: return .notFound
        case ENOSPC, EDQUOT: return .insufficientSpace
        default: return .io
        }
    }

    /// What an operator should do about an errno, or nil when the message says enough.
    public static func hint(for e: Int32) -> String? {
        switch e {
        case ENOSPC:
            return "the filesystem is full; free space or use a larger volume, then run again"
        case EDQUOT:
            return "the disk quota of the user chainsnap runs as is used up; raise it or free space, then run again"
        case EACCES, EPERM:
            return "check the permissions of the path (and its parent folders) and the user chainsnap runs as"
        case EROFS:
            return "the filesystem is mounted read-only; mount it read-write or choose another path"
        case EMFILE, ENFILE:
            return "too many open files; raise the limit (ulimit -n) and run again"
        case EIO:
            return "the disk reported an I/O error; check the volume (dmesg) before running again"
        default:
            return nil
        }
    }
}
