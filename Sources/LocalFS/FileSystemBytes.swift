#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// File-system operations on paths given as bytes. Linux names are bytes and need not be
/// UTF-8 (archives from other systems carry cp866, KOI8-R, Latin-1 names); these calls keep
/// them exactly, and messages show them escaped with `PathRules.display`.
extension FS {
    /// Names in a folder as bytes, excluding `.` and `..`.
    public static func listDirectoryBytes(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw Syscall.error("open folder", path: PathRules.display(path))
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let ent = readdir(dir) {
            let c = dirName(ent)
            let name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(c).assumingMemoryBound(to: UInt8.self), count: strlen(c)))
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    /// Calls `body` with each name in a folder as bytes (excluding `.` and `..`) and its `lstat`,
    /// read by `fstatat` relative to the open folder: one lookup a name, where `lstat` of the full
    /// path walks every folder above it again. A name removed between the listing and its
    /// `fstatat` comes with nil. Nothing is gathered: a folder of 350,000 names costs no list of them here.
    public static func forEachInDirectory(_ path: [UInt8], _ body: ([UInt8], stat?) throws -> Void) throws {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw Syscall.error("open folder", path: PathRules.display(path))
        }
        defer { closedir(dir) }
        let fd = dirfd(dir)
        while let ent = readdir(dir) {
            let c = dirName(ent)
            let n = strlen(c)
            if (n == 1 && c[0] == 0x2e) || (n == 2 && c[0] == 0x2e && c[1] == 0x2e) { continue }
            let name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(c).assumingMemoryBound(to: UInt8.self), count: n))
            var st = stat()
            switch Syscall.attempt({ fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) }) {
            case .success: try body(name, st)
            case .failure(let f) where f.errno == ENOENT || f.errno == ENOTDIR: try body(name, nil)
            case .failure(let f): throw Syscall.error("stat", path: PathRules.display(path + [0x2f] + name), errno: f.errno)
            }
        }
    }

    /// Renames atomically within one filesystem.
    public static func rename(bytes from: [UInt8], _ to: [UInt8]) throws {
        _ = try withCPath(from) { f in
            try withCPath(to) { t in
                try Syscall.run("rename to '\(PathRules.display(to))' of", path: PathRules.display(from)) { Glibc.rename(f, t) }
            }
        }
    }

    /// Whether anything (a dangling symlink too) exists at a byte path.
    public static func exists(bytes path: [UInt8]) -> Bool {
        var st = stat()
        return withCPath(path) { p in
            if case .success = Syscall.attempt({ lstat(p, &st) }) { return true }
            return false
        }
    }

    /// Calls `body` with a byte path as a NUL-terminated C string.
    public static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (path + [0]).withUnsafeBufferPointer { b in
            try b.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// `removeTree` of a byte path: names inside that are not UTF-8 are removed too. Missing
    /// paths are fine.
    public static func removeTree(bytes path: [UInt8]) throws {
        var st = stat()
        let shown = PathRules.display(path)
        let present = withCPath(path) { p -> Bool in
            if case .success = Syscall.attempt({ lstat(p, &st) }) { return true }
            return false
        }
        guard present else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectoryBytes(path) { try removeTree(bytes: path + [0x2f] + name) }
            _ = try withCPath(path) { p in try Syscall.run("remove folder", path: shown) { rmdir(p) } }
        } else {
            try withCPath(path) { p in
                if case .failure(let f) = Syscall.attempt({ unlink(p) }), f.errno != ENOENT {
                    throw Syscall.error("remove", path: shown, errno: f.errno)
                }
            }
        }
    }
}
