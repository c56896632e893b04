#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import RestoreCore
import SnapshotCore

/// The filesystem side of tar extraction: creates entries under `root` and keeps the
/// bookkeeping that makes it safe — which paths are real folders and which are symlinks this
/// extraction created — so no entry is ever written or resolved through a symlink, whatever order
/// the archive uses. Also applies folder modes and mtimes at the end (after their contents).
///
/// Paths are the archive's bytes (relative to `root`, already checked by `PathRules`); they reach
/// the system calls unchanged, so names that are not UTF-8 are restored as they are.
///
/// The rule for hard links: the target must be a regular file or a symlink that this extraction
/// created, named by the path it was created at: every parent a real folder this extraction
/// made (folders are never replaced), so `link` resolves nothing through a symlink. A link to a symlink is a second name for that symlink: its target is checked again
/// from the new place, and the new name is a symlink like any other (nothing passes through it).
final class TarTreeWriter {
    let root: String
    let preserveOwnership: Bool
    private let rootBytes: [UInt8]

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
    private var directories: Set<[UInt8]> = []
    /// Symlinks created by this extraction, with their targets: no later entry may pass through them.
    private var symlinks: [[UInt8]: [UInt8]] = [:]
    private var lastParent: [UInt8] = []
    /// Folder modes and mtimes applied at the end, deepest first.
    private var directoryFixups: [(path: [UInt8], mode: UInt32, mtime: Int64, nanos: Int, uid: Int, gid: Int)] = []

    init(root: String, preserveOwnership: Bool) {
        self.root = root
        self.preserveOwnership = preserveOwnership
        rootBytes = Array(root.utf8)
    }

    deinit { if fd >= 0 { close(fd) } }

    // MARK: entries

    /// Creates (or replaces) a regular file and opens it for `writeFile`.
    func createFile(_ path: [UInt8], header h: TarHeader) throws {
        try prepareParents(of: path)
        try openFile(path, header: h)
    }

    func createDirectory(_ path: [UInt8], header h: TarHeader) throws {
        try prepareParents(of: path)
        try makeDirectory(path)
        directoryFixups.append((path, h.mode, h.mtime, h.mtimeNanos, h.uid, h.gid))
    }

    /// Creates a symlink whose target stays inside the tree (checked here).
    func createSymlink(_ path: [UInt8], header h: TarHeader) throws {
        try PathRules.checkSymlink(linkPath: path, target: h.linkName)
        try prepareParents(of: path)
        let full = cPath(path)
        try removeExisting(path, full)
        guard c(h.linkName + [0], { t in c(full) { symlink(t, $0) } }) == 0 else { throw sysError("symlink", full) }
        symlinks[path] = h.linkName
        if preserveOwnership { _ = c(full) { lchown($0, uid_t(truncatingIfNeeded: h.uid), gid_t(truncatingIfNeeded: h.gid)) } }
        try setTimes(full, h.mtime, nanos: h.mtimeNanos, followLinks: false)
    }

    /// Links `path` to the earlier entry `target`, which must be a regular file or symlink this
    /// extraction created (a copy where the filesystem has no hard links).
    func createHardLink(_ path: [UInt8], target: [UInt8]) throws {
        try PathRules.checkEntryPath(bytes: target)
        if target == path { return }
        let linkedTarget = symlinks[target]
        guard linkedTarget != nil || isExtractedRegularFile(target) else { throw badHardLinkTarget(path, target) }
        if let linkedTarget {
            // A second name for a symlink resolves from its own folder: check it from there.
            try PathRules.checkSymlink(linkPath: path, target: linkedTarget)
        }
        try prepareParents(of: path)
        let full = cPath(path)
        let fullTarget = cPath(target)
        try removeExisting(path, full)
        // Every parent of `target` is a real folder made here, and link() does not follow a
        // symlink at `fullTarget`: it links the (checked) symlink itself.
        if c(fullTarget, { t in c(full) { link(t, $0) } }) != 0 {
            let e = errno
            // Filesystems without hard links (EPERM/EMLINK/EXDEV): write a copy instead.
            guard e == EPERM || e == EMLINK || e == EXDEV || e == ENOTSUP else { throw sysError("link", full, e) }
            if let linkedTarget {
                guard c(linkedTarget + [0], { t in c(full) { symlink(t, $0) } }) == 0 else { throw sysError("symlink", full) }
            } else {
                try copyRegularFile(from: fullTarget, to: full, entry: path)
            }
        }
        if let linkedTarget { symlinks[path] = linkedTarget }
    }

    /// Whether `path` is a regular file this extraction wrote: every parent is a real folder made
    /// here (so nothing resolves through a symlink) and the entry itself is a regular file (the
    /// staging root starts empty, so whatever is there came from this archive). Checked on disk
    /// rather than remembered, so memory does not grow with the number of files.
    private func isExtractedRegularFile(_ path: [UInt8]) -> Bool {
        for (i, b) in path.enumerated() where b == UInt8(ascii: "/") {
            if !directories.contains(Array(path[..<i])) { return false }
        }
        var st = stat()
        return c(cPath(path), { lstat($0, &st) }) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Why a hard link's target is refused: it escapes through a symlink, is a folder, or was not extracted.
    private func badHardLinkTarget(_ path: [UInt8], _ target: [UInt8]) -> ChainsnapError {
        let shown = PathRules.display(path), shownTarget = PathRules.display(target)
        var prefix: [UInt8] = []
        for part in target.split(separator: UInt8(ascii: "/")).dropLast() {
            prefix += prefix.isEmpty ? Array(part) : [UInt8(ascii: "/")] + part
            if symlinks[prefix] != nil {
                return ChainsnapError(.unsafePath, "refusing hard link '\(shown)' to '\(shownTarget)': '\(PathRules.display(prefix))' is a symlink in the archive",
                                      object: shown, hint: "the archive is malicious or corrupt; nothing was written to the target")
            }
        }
        if directories.contains(target) {
            return ChainsnapError(.unsafePath, "refusing hard link '\(shown)' to '\(shownTarget)': that is a folder",
                                  object: shown, hint: "hard links may only name regular files or symlinks earlier in the archive; the archive is malicious or corrupt")
        }
        return ChainsnapError(.corrupt, "tar hard link '\(shown)' points to '\(shownTarget)', which is not a file or symlink in the archive before it",
                              object: shown, hint: "the archive is corrupt or was made from a partial file list")
    }

    /// Closes a file left open by a truncated archive.
    func abandonFile() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// Applies folder modes and mtimes, deepest first (so a parent's mtime is set after its children changed it).
    func applyDirectoryMetadata() throws {
        for d in directoryFixups.reversed() {
            let full = cPath(d.path)
            if preserveOwnership { _ = c(full) { lchown($0, uid_t(truncatingIfNeeded: d.uid), gid_t(truncatingIfNeeded: d.gid)) } }
            if c(full, { chmod($0, mode_t(d.mode & RestoredModes.appliedBits)) }) != 0 { throw sysError("chmod", full) }
            try setTimes(full, d.mtime, nanos: d.nanos, followLinks: false)
        }
        directoryFixups.removeAll()
    }

    // MARK: helpers

    /// Ensures every parent folder of `path` exists as a real folder (created now if missing),
    /// and that none of them is a symlink.
    func prepareParents(of path: [UInt8]) throws {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return }
        let parent = Array(path[..<slash])
        if parent == lastParent { return }
        if directories.contains(parent) { lastParent = parent; return }
        for i in 0...slash where path[i] == UInt8(ascii: "/") {
            let prefix = Array(path[..<i])
            if !directories.contains(prefix) { try makeParent(prefix, of: path) }
        }
        lastParent = parent
    }

    private func makeParent(_ prefix: [UInt8], of path: [UInt8]) throws {
        let shown = PathRules.display(path)
        if symlinks[prefix] != nil {
            throw ChainsnapError(.unsafePath, "refusing path '\(shown)': '\(PathRules.display(prefix))' is a symlink in the archive",
                                 object: shown, hint: "the archive is malicious or corrupt; nothing was written to the target")
        }
        let full = cPath(prefix)
        if c(full, { mkdir($0, 0o755) }) != 0 {
            let e = errno
            var st = stat()
            guard e == EEXIST, c(full, { lstat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                if e == EEXIST {
                    throw ChainsnapError(.corrupt, "tar entry '\(shown)' needs '\(PathRules.display(prefix))' to be a folder, but the archive made it a file",
                                         object: shown, hint: "the archive is corrupt")
                }
                throw sysError("mkdir", full, e)
            }
        }
        directories.insert(prefix)
    }

    private func makeDirectory(_ path: [UInt8]) throws {
        let full = cPath(path)
        if directories.contains(path) { return }
        if symlinks[path] != nil {
            _ = c(full) { unlink($0) }
            symlinks[path] = nil
        }
        // Created writable for us; the archive's mode is applied in `finish()`.
        if c(full, { mkdir($0, 0o700) }) != 0 {
            let e = errno
            var st = stat()
            if e == EEXIST, c(full, { lstat($0, &st) }) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR {
                    guard c(full, { unlink($0) }) == 0, c(full, { mkdir($0, 0o700) }) == 0 else { throw sysError("mkdir", full) }
                }
            } else {
                throw sysError("mkdir", full, e)
            }
        }
        directories.insert(path)
    }

    /// Removes a file or symlink left at `path` by an earlier entry of the same name (tar semantics: last wins).
    private func removeExisting(_ path: [UInt8], _ full: [UInt8]) throws {
        if directories.contains(path) {
            let shown = PathRules.display(path)
            throw ChainsnapError(.corrupt, "tar entry '\(shown)' would replace a folder of the same name",
                                 object: shown, hint: "the archive is corrupt")
        }
        if c(full, { unlink($0) }) != 0 && errno != ENOENT { throw sysError("unlink", full) }
        symlinks[path] = nil
    }

    private func openFile(_ path: [UInt8], header h: TarHeader) throws {
        let full = cPath(path)
        if directories.contains(path) {
            let shown = PathRules.display(path)
            throw ChainsnapError(.corrupt, "tar entry '\(shown)' would replace a folder of the same name",
                                 object: shown, hint: "the archive is corrupt")
        }
        // O_EXCL|O_NOFOLLOW: never write through anything already there; replace it instead.
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var f = c(full) { open($0, flags, 0o600) }
        if f < 0 && errno == EEXIST {
            try removeExisting(path, full)
            f = c(full) { open($0, flags, 0o600) }
        }
        guard f >= 0 else { throw sysError("create", full) }
        fd = f
        filePath = shownPath(full)
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
        guard fchmod(fd, mode_t(fileMode & RestoredModes.appliedBits)) == 0 else { throw sysError("chmod", filePath) }
        var times = [timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos),
                     timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos)]
        guard futimens(fd, &times) == 0 else { throw sysError("set mtime of", filePath) }
        if fileOffset >= 1 << 20 { ArchiveDurability.startWriteback(fd) }
    }

    /// Copies a regular file written earlier (hard-link fallback), keeping its mode and mtime.
    private func copyRegularFile(from src: [UInt8], to dst: [UInt8], entry: [UInt8]) throws {
        let i = c(src) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard i >= 0 else { throw sysError("open", src) }
        defer { close(i) }
        var st = stat()
        guard fstat(i, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            let shown = PathRules.display(entry)
            throw ChainsnapError(.unsupportedFormat, "tar hard link '\(shown)' points to something other than a regular file",
                                 object: shown, hint: "this filesystem has no hard links; only links to regular files can be copied")
        }
        let o = c(dst) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard o >= 0 else { throw sysError("create", dst) }
        defer { close(o) }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        var off: off_t = 0
        while true {
            let n = try Syscall.run("read", path: PathRules.display(src)) { pread(i, buf, 1 << 20, off) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = try Syscall.run("write", path: PathRules.display(dst)) { pwrite(o, buf + done, n - done, off + off_t(done)) }
                done += w
            }
            off += off_t(n)
        }
        guard fchmod(o, st.st_mode & mode_t(RestoredModes.appliedBits)) == 0 else { throw sysError("chmod", dst) }
        var times = [st.st_atim, st.st_mtim]
        guard futimens(o, &times) == 0 else { throw sysError("set mtime of", dst) }
    }

    private func setTimes(_ full: [UInt8], _ mtime: Int64, nanos: Int = 0, followLinks: Bool) throws {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: nanos), timespec(tv_sec: Int(mtime), tv_nsec: nanos)]
        guard c(full, { utimensat(AT_FDCWD, $0, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw sysError("set mtime of", full)
        }
    }

    /// `root/path` as a NUL-terminated byte path for the system calls.
    private func cPath(_ path: [UInt8]) -> [UInt8] {
        rootBytes + [UInt8(ascii: "/")] + path + [0]
    }

    /// A NUL-terminated byte path as messages show it.
    private func shownPath(_ full: [UInt8]) -> String {
        PathRules.display(full.last == 0 ? Array(full.dropLast()) : full)
    }

    /// Calls `body` with a NUL-terminated byte path as a C string.
    private func c<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        path.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    private func sysError(_ what: String, _ full: [UInt8], _ e: Int32 = errno) -> ChainsnapError {
        sysError(what, shownPath(full), e)
    }

    private func sysError(_ what: String, _ path: String, _ e: Int32 = errno) -> ChainsnapError {
        Syscall.error(what, path: path, errno: e)
    }
}
