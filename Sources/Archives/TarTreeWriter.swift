#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore

/// The filesystem side of tar extraction: creates entries under `root` and keeps the
/// bookkeeping that makes it safe — which paths are real folders and which are symlinks this
/// extraction created — so no entry is ever written through a symlink, whatever order the
/// archive uses. Also applies folder modes and mtimes at the end (after their contents).
final class TarTreeWriter {
    let root: String
    let preserveOwnership: Bool

    // The file being written.
    private var fd: Int32 = -1
    private var filePath = ""
    private var fileOffset: Int64 = 0
    private var fileMode: UInt32 = 0
    private var fileMtime: Int64 = 0
    private var fileMtimeNanos = 0
    private var fileUid = 0
    private var fileGid = 0

    /// Folders known to be real folders created by this extraction (never symlinks).
    private var directories: Set<String> = []
    /// Symlinks created by this extraction: no later entry may pass through them.
    private var symlinks: Set<String> = []
    private var lastParent = ""
    /// Folder modes and mtimes applied at the end, deepest first.
    private var directoryFixups: [(path: String, mode: UInt32, mtime: Int64, nanos: Int, uid: Int, gid: Int)] = []

    init(root: String, preserveOwnership: Bool) {
        self.root = root
        self.preserveOwnership = preserveOwnership
    }

    deinit { if fd >= 0 { close(fd) } }

    // MARK: entries

    /// Creates (or replaces) a regular file and opens it for `writeFile`.
    func createFile(_ path: String, header h: TarHeader) throws {
        try prepareParents(of: path)
        try openFile(path, header: h)
    }

    func createDirectory(_ path: String, header h: TarHeader) throws {
        try prepareParents(of: path)
        try makeDirectory(path)
        directoryFixups.append((path, h.mode, h.mtime, h.mtimeNanos, h.uid, h.gid))
    }

    /// Creates a symlink whose target stays inside the tree (checked here).
    func createSymlink(_ path: String, header h: TarHeader) throws {
        try PathRules.checkSymlink(linkPath: path, target: h.linkName)
        try prepareParents(of: path)
        let full = root + "/" + path
        try removeExisting(path, full)
        guard symlink(h.linkName, full) == 0 else { throw sysError("symlink", full) }
        symlinks.insert(path)
        if preserveOwnership { _ = lchown(full, uid_t(truncatingIfNeeded: h.uid), gid_t(truncatingIfNeeded: h.gid)) }
        try setTimes(full, h.mtime, nanos: h.mtimeNanos, followLinks: false)
    }

    /// Links `path` to the earlier entry `target` (a copy where the filesystem has no hard links).
    func createHardLink(_ path: String, target: String) throws {
        try PathRules.checkEntryPath(target)
        try checkNoSymlinkParents(target)
        try prepareParents(of: path)
        if target == path { return }
        let full = root + "/" + path
        let fullTarget = root + "/" + target
        try removeExisting(path, full)
        // link() does not follow a symlink at `fullTarget`: it links the (checked) symlink itself.
        if link(fullTarget, full) != 0 {
            let e = errno
            if e == ENOENT {
                throw ChainsnapError(.corrupt, "tar hard link '\(path)' points to '\(target)', which is not in the archive before it",
                                     object: path, hint: "the archive is corrupt or was made from a partial file list")
            }
            // Filesystems without hard links (EPERM/EMLINK/EXDEV): write a copy instead.
            guard e == EPERM || e == EMLINK || e == EXDEV || e == ENOTSUP else { throw sysError("link", full, e) }
            try copyRegularFile(from: fullTarget, to: full, entry: path)
        }
    }

    /// Closes a file left open by a truncated archive.
    func abandonFile() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// Applies folder modes and mtimes, deepest first (so a parent's mtime is set after its children changed it).
    func applyDirectoryMetadata() throws {
        for d in directoryFixups.reversed() {
            let full = root + "/" + d.path
            if preserveOwnership { _ = lchown(full, uid_t(truncatingIfNeeded: d.uid), gid_t(truncatingIfNeeded: d.gid)) }
            if chmod(full, mode_t(d.mode & 0o1777)) != 0 { throw sysError("chmod", full) }
            try setTimes(full, d.mtime, nanos: d.nanos, followLinks: false)
        }
        directoryFixups.removeAll()
    }

    // MARK: helpers

    /// Ensures every parent folder of `path` exists as a real folder (created now if missing),
    /// and that none of them is a symlink.
    func prepareParents(of path: String) throws {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return }
        let parent = String(path[..<slash])
        if parent == lastParent { return }
        if directories.contains(parent) { lastParent = parent; return }
        let utf8 = path.utf8
        var i = utf8.startIndex
        while i <= slash {
            if utf8[i] == UInt8(ascii: "/") {
                let prefix = String(path[..<i])
                if !directories.contains(prefix) { try makeParent(prefix, of: path) }
            }
            i = utf8.index(after: i)
        }
        lastParent = parent
    }

    private func makeParent(_ prefix: String, of path: String) throws {
        if symlinks.contains(prefix) {
            throw ChainsnapError(.unsafePath, "refusing path '\(path)': '\(prefix)' is a symlink in the archive",
                                 object: path, hint: "the archive is malicious or corrupt; nothing was written to the target")
        }
        let full = root + "/" + prefix
        if mkdir(full, 0o755) != 0 {
            let e = errno
            var st = stat()
            guard e == EEXIST, lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                if e == EEXIST {
                    throw ChainsnapError(.corrupt, "tar entry '\(path)' needs '\(prefix)' to be a folder, but the archive made it a file",
                                         object: path, hint: "the archive is corrupt")
                }
                throw sysError("mkdir", full, e)
            }
        }
        directories.insert(prefix)
    }

    /// Throws when a parent of `path` is a symlink created by this extraction.
    private func checkNoSymlinkParents(_ path: String) throws {
        var prefix = ""
        for part in path.split(separator: "/").dropLast() {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            if symlinks.contains(prefix) {
                throw ChainsnapError(.unsafePath, "refusing hard link to '\(path)': '\(prefix)' is a symlink in the archive",
                                     object: path, hint: "the archive is malicious or corrupt; nothing was written to the target")
            }
        }
    }

    private func makeDirectory(_ path: String) throws {
        let full = root + "/" + path
        if directories.contains(path) { return }
        if symlinks.contains(path) {
            _ = unlink(full)
            symlinks.remove(path)
        }
        // Created writable for us; the archive's mode is applied in `finish()`.
        if mkdir(full, 0o700) != 0 {
            let e = errno
            var st = stat()
            if e == EEXIST, lstat(full, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR {
                    guard unlink(full) == 0, mkdir(full, 0o700) == 0 else { throw sysError("mkdir", full) }
                }
            } else {
                throw sysError("mkdir", full, e)
            }
        }
        directories.insert(path)
    }

    /// Removes a file or symlink left at `path` by an earlier entry of the same name (tar semantics: last wins).
    private func removeExisting(_ path: String, _ full: String) throws {
        if directories.contains(path) {
            throw ChainsnapError(.corrupt, "tar entry '\(path)' would replace a folder of the same name",
                                 object: path, hint: "the archive is corrupt")
        }
        if unlink(full) != 0 && errno != ENOENT { throw sysError("unlink", full) }
        symlinks.remove(path)
    }

    private func openFile(_ path: String, header h: TarHeader) throws {
        let full = root + "/" + path
        if directories.contains(path) {
            throw ChainsnapError(.corrupt, "tar entry '\(path)' would replace a folder of the same name",
                                 object: path, hint: "the archive is corrupt")
        }
        // O_EXCL|O_NOFOLLOW: never write through anything already there; replace it instead.
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var f = open(full, flags, 0o600)
        if f < 0 && errno == EEXIST {
            try removeExisting(path, full)
            f = open(full, flags, 0o600)
        }
        guard f >= 0 else { throw sysError("create", full) }
        fd = f
        filePath = full
        fileOffset = 0
        fileMode = h.mode
        fileMtime = h.mtime
        fileMtimeNanos = h.mtimeNanos
        fileUid = h.uid
        fileGid = h.gid
    }

    func writeFile(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = try Syscall.run("write", path: filePath) { pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(fileOffset)) }
            done += n
            fileOffset += Int64(n)
        }
    }

    func closeFile() throws {
        defer { close(fd); fd = -1 }
        if preserveOwnership { _ = fchown(fd, uid_t(truncatingIfNeeded: fileUid), gid_t(truncatingIfNeeded: fileGid)) }
        // setuid/setgid are dropped: chain data never needs them and a restore must not grant them.
        guard fchmod(fd, mode_t(fileMode & 0o1777)) == 0 else { throw sysError("chmod", filePath) }
        var times = [timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos),
                     timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos)]
        guard futimens(fd, &times) == 0 else { throw sysError("set mtime of", filePath) }
        if fileOffset >= 1 << 20 { ArchiveDurability.startWriteback(fd) }
    }

    /// Copies a regular file written earlier (hard-link fallback), keeping its mode and mtime.
    private func copyRegularFile(from src: String, to dst: String, entry: String) throws {
        let i = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard i >= 0 else { throw sysError("open", src) }
        defer { close(i) }
        var st = stat()
        guard fstat(i, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ChainsnapError(.unsupportedFormat, "tar hard link '\(entry)' points to something other than a regular file",
                                 object: entry, hint: "this filesystem has no hard links; only links to regular files can be copied")
        }
        let o = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard o >= 0 else { throw sysError("create", dst) }
        defer { close(o) }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        var off: off_t = 0
        while true {
            let n = try Syscall.run("read", path: src) { pread(i, buf, 1 << 20, off) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = try Syscall.run("write", path: dst) { pwrite(o, buf + done, n - done, off + off_t(done)) }
                done += w
            }
            off += off_t(n)
        }
        guard fchmod(o, st.st_mode & 0o1777) == 0 else { throw sysError("chmod", dst) }
        var times = [st.st_atim, st.st_mtim]
        guard futimens(o, &times) == 0 else { throw sysError("set mtime of", dst) }
    }

    private func setTimes(_ full: String, _ mtime: Int64, nanos: Int = 0, followLinks: Bool) throws {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: nanos), timespec(tv_sec: Int(mtime), tv_nsec: nanos)]
        guard utimensat(AT_FDCWD, full, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw sysError("set mtime of", full)
        }
    }

    private func sysError(_ what: String, _ path: String, _ e: Int32 = errno) -> ChainsnapError {
        Syscall.error(what, path: path, errno: e)
    }
}
