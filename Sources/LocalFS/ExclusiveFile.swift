#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

extension FS {
    /// Creates `path` with exactly `mode` (`O_EXCL`: never replaces a file; the umask neither
    /// loosens nor tightens the mode), writes `bytes` with one write and makes it durable (fsync).
    /// For secrets such as a private key, which must never land in an existing (perhaps
    /// world-readable) file. Errors: `.io`, "cannot create 'PATH': …" or "cannot write 'PATH': …".
    public static func createExclusive(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        let fd: Int32
        switch Syscall.attempt({ open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }) {
        case .success(let d): fd = d
        case .failure(let f): throw failure("create", path, f.errno)
        }
        defer { close(fd) }
        _ = Syscall.attempt { fchmod(fd, mode) }  // best effort: open already applied mode minus the umask
        let n = bytes.withUnsafeBytes { b in Syscall.attempt { write(fd, b.baseAddress, b.count) } }
        switch n {
        case .success(let written) where written == bytes.count: break
        case .success: throw failure("write", path, EIO)
        case .failure(let f): throw failure("write", path, f.errno)
        }
        if case .failure(let f) = Syscall.attempt({ fsync(fd) }) { throw failure("write", path, f.errno) }
    }

    private static func failure(_ what: String, _ path: String, _ e: Int32) -> ChainsnapError {
        ChainsnapError(.io, "cannot \(what) '\(path)': \(String(cString: strerror(e)))", object: path)
    }
}
