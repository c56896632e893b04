#if canImport(Glibc)
import Glibc
#endif
import SnapshotCore

/// What a tar extraction wrote.
public struct TarExtractionStats: Sendable, Equatable, Codable {
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var hardLinks = 0
    /// Devices and FIFOs, which are never created.
    public var skipped = 0
    /// Bytes of regular-file content written.
    public var fileBytes: Int64 = 0
    /// Bytes of tar stream consumed (headers, data, padding).
    public var tarBytes: Int64 = 0

    public init() {}
}

/// A streaming tar extractor: fed buffers of any size, it writes entries under `root`.
///
/// Reads ustar, GNU (`L`/`K` long names and links, base-256 numbers) and pax (`path`, `linkpath`,
/// `size`, `mtime`, `uid`, `gid`) — what GNU tar writes by default. Creates regular files (with
/// positional writes), folders, symlinks and hard links; skips devices and FIFOs with a message.
/// Applies mode (setuid/setgid dropped) and mtime; folders get theirs after their contents.
///
/// Safety: every path is checked with `PathRules` (no absolute paths, no `..`), symlink targets
/// must stay inside the tree, and no entry is ever written through a symlink created earlier in
/// the same extraction (each parent component is known to be a real folder). `root` should be a
/// fresh, empty staging folder. Call `finish()` at the end: an archive that stops mid-entry or
/// without the end-of-archive marker is reported as truncated.
///
/// Not thread-safe; one extractor per archive.
public final class TarExtractor {
    /// Options for an extraction.
    public struct Options: Sendable {
        /// Apply the archive's numeric uid/gid (GNU tar does this when run as root).
        public var preserveOwnership: Bool
        /// Top-level names the archive may not create (chainsnap's own marker and staging folder).
        public var reservedTopLevelNames: Set<String>
        /// Where messages (skipped entries) go.
        public var log: (@Sendable (String) -> Void)?

        public init(preserveOwnership: Bool = geteuid() == 0, reservedTopLevelNames: Set<String> = [],
                    log: (@Sendable (String) -> Void)? = nil) {
            self.preserveOwnership = preserveOwnership
            self.reservedTopLevelNames = reservedTopLevelNames
            self.log = log
        }
    }

    private enum State {
        case header
        /// Regular-file content going to `fd`.
        case fileData(remaining: Int64)
        /// Content of a GNU long name/link or pax header being collected.
        case meta(remaining: Int64)
        /// Bytes to ignore (padding, content of skipped entries).
        case skip(remaining: Int64)
        case end
    }

    private enum MetaKind { case longName, longLink, pax, paxGlobal }

    public let root: String
    public private(set) var stats = TarExtractionStats()
    private let options: Options
    private var state: State = .header
    /// Position in the tar stream.
    private var offset: Int64 = 0
    /// A header split across two `feed` calls.
    private var headerBuf = [UInt8](repeating: 0, count: 512)
    private var headerFill = 0
    private var padAfter: Int64 = 0

    private var metaKind: MetaKind = .pax
    private var metaBuf: [UInt8] = []
    private var metaOffset: Int64 = 0
    private var pendingLongName: String?
    private var pendingLongLink: String?
    private var pendingPax = PaxValues()
    private var globalPax = PaxValues()

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

    static let maxMetaSize: Int64 = 1 << 20

    /// Extracts into `root`, which must exist.
    public init(root: String, options: Options = Options()) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
        self.options = options
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether the end-of-archive marker has been seen.
    public var isFinished: Bool { if case .end = state { return true } else { return false } }

    /// Feeds the next bytes of the tar stream.
    public func feed(_ input: UnsafeRawBufferPointer) throws {
        var p = 0
        let n = input.count
        while p < n {
            switch state {
            case .end:
                // GNU tar pads the archive to a record (10240 bytes); trailing bytes are ignored.
                stats.tarBytes += Int64(n - p)
                offset += Int64(n - p)
                return
            case .header:
                if headerFill == 0 && n - p >= 512 {
                    try handleHeader(UnsafeRawBufferPointer(rebasing: input[p..<(p + 512)]))
                    p += 512
                } else {
                    let take = min(512 - headerFill, n - p)
                    headerBuf.withUnsafeMutableBytes { h in
                        h.baseAddress!.advanced(by: headerFill).copyMemory(from: input.baseAddress! + p, byteCount: take)
                    }
                    headerFill += take
                    p += take
                    if headerFill == 512 {
                        headerFill = 0
                        try headerBuf.withUnsafeBytes { try handleHeader($0) }
                    }
                }
            case .fileData(let remaining):
                let take = Int(min(remaining, Int64(n - p)))
                try writeFile(UnsafeRawBufferPointer(rebasing: input[p..<(p + take)]))
                p += take
                advance(take)
                if remaining == Int64(take) {
                    try closeFile()
                    afterContent()
                } else {
                    state = .fileData(remaining: remaining - Int64(take))
                }
            case .meta(let remaining):
                let take = Int(min(remaining, Int64(n - p)))
                metaBuf.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[p..<(p + take)]))
                p += take
                advance(take)
                if remaining == Int64(take) {
                    try finishMeta()
                    afterContent()
                } else {
                    state = .meta(remaining: remaining - Int64(take))
                }
            case .skip(let remaining):
                let take = Int(min(remaining, Int64(n - p)))
                p += take
                advance(take)
                state = remaining == Int64(take) ? .header : .skip(remaining: remaining - Int64(take))
            }
        }
    }

    /// Ends the stream: applies folder modes and mtimes, or throws if the archive is truncated.
    public func finish() throws {
        switch state {
        case .end:
            break
        case .header where headerFill == 0 && stats.tarBytes > 0 && offset > 0:
            throw truncated("it ends without the end-of-archive marker")
        default:
            if fd >= 0 { close(fd); fd = -1 }
            throw truncated(stats.tarBytes == 0 ? "it is empty" : "it ends in the middle of an entry")
        }
        // Deepest folders first, so setting a parent's mtime comes after its children changed it.
        for d in directoryFixups.reversed() {
            let full = root + "/" + d.path
            if options.preserveOwnership { _ = lchown(full, uid_t(truncatingIfNeeded: d.uid), gid_t(truncatingIfNeeded: d.gid)) }
            if chmod(full, mode_t(d.mode & 0o1777)) != 0 { throw sysError("chmod", full) }
            try setTimes(full, d.mtime, nanos: d.nanos, followLinks: false)
        }
        directoryFixups.removeAll()
    }

    private func truncated(_ why: String) -> ChainsnapError {
        ChainsnapError(.corrupt, "the tar archive is truncated: \(why) (after \(offset) bytes)",
                       object: "tar offset \(offset)",
                       hint: "the download or the archive is incomplete; fetch it again (compare its size and --sha256 with the source)")
    }

    @inline(__always)
    private func advance(_ count: Int) {
        offset += Int64(count)
        stats.tarBytes += Int64(count)
    }

    /// After an entry's content: skip the padding to the next 512-byte boundary.
    private func afterContent() {
        state = padAfter > 0 ? .skip(remaining: padAfter) : .header
        padAfter = 0
    }

    private static func padding(_ size: Int64) -> Int64 { (512 - size % 512) % 512 }

    // MARK: headers

    private func handleHeader(_ block: UnsafeRawBufferPointer) throws {
        let headerOffset = offset
        advance(512)
        if TarHeader.isZeroBlock(block) {
            state = .end
            return
        }
        var h = try TarHeader(block: block, offset: headerOffset)
        switch h.type {
        case .gnuLongName, .gnuLongLink, .paxExtended, .paxGlobal:
            guard h.size <= TarExtractor.maxMetaSize else {
                throw ChainsnapError(.corrupt, "tar extension header at byte \(headerOffset) declares \(h.size) bytes",
                                     object: "tar offset \(headerOffset)", hint: "the archive is corrupt or malicious")
            }
            switch h.type {
            case .gnuLongName: metaKind = .longName
            case .gnuLongLink: metaKind = .longLink
            case .paxGlobal: metaKind = .paxGlobal
            default: metaKind = .pax
            }
            metaBuf.removeAll(keepingCapacity: true)
            metaOffset = headerOffset
            padAfter = TarExtractor.padding(h.size)
            if h.size == 0 { try finishMeta(); afterContent() } else { state = .meta(remaining: h.size) }
            return
        default:
            break
        }
        // Apply extensions: global pax, then GNU long names, then the entry's own pax values.
        var pax = globalPax
        pax.merge(pendingPax)
        if let v = pendingLongName { h.name = v }
        if let v = pendingLongLink { h.linkName = v }
        if let v = pax.path { h.name = v }
        if let v = pax.linkPath { h.linkName = v }
        if let v = pax.size { h.size = v }
        if let v = pax.mtime { h.mtime = v; h.mtimeNanos = pax.mtimeNanos }
        if let v = pax.uid { h.uid = v }
        if let v = pax.gid { h.gid = v }
        pendingLongName = nil
        pendingLongLink = nil
        pendingPax = PaxValues()
        if pax.sparse || h.type == .gnuSparse {
            throw ChainsnapError(.unsupportedFormat, "tar entry '\(h.name)' is a sparse file, which chainsnap does not extract",
                                 object: h.name, hint: "create the archive without --sparse (-S)")
        }
        try createEntry(h, headerOffset: headerOffset)
    }

    private func finishMeta() throws {
        switch metaKind {
        case .longName: pendingLongName = TarExtractor.cString(metaBuf)
        case .longLink: pendingLongLink = TarExtractor.cString(metaBuf)
        case .pax: pendingPax.merge(try PaxValues.parse(metaBuf, offset: metaOffset))
        case .paxGlobal: globalPax.merge(try PaxValues.parse(metaBuf, offset: metaOffset))
        }
    }

    private static func cString(_ bytes: [UInt8]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// Normalizes an archive path: drops leading `./` and trailing `/`. Returns "" for the root itself.
    static func normalize(_ raw: String) -> String {
        var s = Substring(raw)
        while s.hasPrefix("./") { s = s.dropFirst(2); while s.hasPrefix("/") { s = s.dropFirst() } }
        if s == "." { return "" }
        while s.hasSuffix("/") && s.count > 1 { s = s.dropLast() }
        return String(s)
    }

    // MARK: entries

    private func createEntry(_ h: TarHeader, headerOffset: Int64) throws {
        let path = TarExtractor.normalize(h.name)
        let dataSize = h.size
        padAfter = TarExtractor.padding(dataSize)
        if path.isEmpty {
            // "./" itself: the target folder. Its mode and mtime belong to the operator, not the archive.
            skipData(dataSize)
            return
        }
        try PathRules.checkEntryPath(path)
        if !options.reservedTopLevelNames.isEmpty {
            let top = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? path
            if options.reservedTopLevelNames.contains(top) {
                throw ChainsnapError(.unsafePath, "refusing path '\(path)': '\(top)' is reserved for chainsnap's own state",
                                     object: path, hint: "the archive was not made from a node's data folder; nothing was written to the target")
            }
        }
        switch h.type {
        case .file:
            try prepareParents(of: path)
            try openFile(path, header: h)
            stats.files += 1
            if dataSize == 0 {
                try closeFile()
                afterContent()
            } else {
                state = .fileData(remaining: dataSize)
            }
        case .directory:
            try prepareParents(of: path)
            try makeDirectory(path)
            directoryFixups.append((path, h.mode, h.mtime, h.mtimeNanos, h.uid, h.gid))
            stats.directories += 1
            skipData(dataSize)
        case .symlink:
            try PathRules.checkSymlink(linkPath: path, target: h.linkName)
            try TarExtractor.checkCanonicalLinkTarget(linkPath: path, target: h.linkName)
            try prepareParents(of: path)
            let full = root + "/" + path
            try removeExisting(path, full)
            guard symlink(h.linkName, full) == 0 else { throw sysError("symlink", full) }
            symlinks.insert(path)
            if options.preserveOwnership { _ = lchown(full, uid_t(truncatingIfNeeded: h.uid), gid_t(truncatingIfNeeded: h.gid)) }
            try setTimes(full, h.mtime, nanos: h.mtimeNanos, followLinks: false)
            stats.symlinks += 1
            skipData(dataSize)
        case .hardLink:
            let target = TarExtractor.normalize(h.linkName)
            try PathRules.checkEntryPath(target)
            try checkNoSymlinkParents(target)
            try prepareParents(of: path)
            let full = root + "/" + path
            let fullTarget = root + "/" + target
            if target == path { skipData(dataSize); return }
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
            stats.hardLinks += 1
            skipData(dataSize)
        case .characterDevice, .blockDevice, .fifo:
            options.log?("skipping '\(path)': device files and FIFOs are not restored")
            stats.skipped += 1
            skipData(dataSize)
        case .gnuVolumeLabel:
            skipData(dataSize)
        case .gnuMultiVolume:
            throw ChainsnapError(.unsupportedFormat, "tar entry '\(path)' continues a multi-volume archive",
                                 object: path, hint: "restore from a single-volume archive")
        default:
            throw ChainsnapError(.unsupportedFormat,
                                 "tar entry '\(path)' has type '\(Character(Unicode.Scalar(h.typeFlag)))', which chainsnap does not extract",
                                 object: path, hint: "create the archive with GNU tar's default (gnu) or pax format")
        }
    }

    private func skipData(_ size: Int64) {
        let total = size + TarExtractor.padding(size)
        padAfter = 0
        state = total > 0 ? .skip(remaining: total) : .header
    }

    /// Ensures every parent folder of `path` exists as a real folder (created now if missing),
    /// and that none of them is a symlink.
    private func prepareParents(of path: String) throws {
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

    /// Symlink targets must be canonical (`../..` only before names): a `..` after a name could
    /// climb out through another symlink even when the text stays inside.
    static func checkCanonicalLinkTarget(linkPath: String, target: String) throws {
        var seenName = false
        for part in target.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if seenName {
                    throw ChainsnapError(.unsafePath, "refusing symlink '\(linkPath)' -> '\(target)': '..' after a folder name",
                                         object: linkPath, hint: "the archive is malicious or corrupt; nothing was written to the target")
                }
            } else {
                seenName = true
            }
        }
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

    private func writeFile(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(fileOffset))
            if n < 0 {
                if errno == EINTR { continue }
                throw sysError("write", filePath)
            }
            done += n
            fileOffset += Int64(n)
        }
        stats.fileBytes += Int64(bytes.count)
    }

    private func closeFile() throws {
        defer { close(fd); fd = -1 }
        if options.preserveOwnership { _ = fchown(fd, uid_t(truncatingIfNeeded: fileUid), gid_t(truncatingIfNeeded: fileGid)) }
        // setuid/setgid are dropped: chain data never needs them and a restore must not grant them.
        guard fchmod(fd, mode_t(fileMode & 0o1777)) == 0 else { throw sysError("chmod", filePath) }
        var times = [timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos),
                     timespec(tv_sec: Int(fileMtime), tv_nsec: fileMtimeNanos)]
        guard futimens(fd, &times) == 0 else { throw sysError("set mtime of", filePath) }
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
            let n = pread(i, buf, 1 << 20, off)
            if n < 0 { if errno == EINTR { continue }; throw sysError("read", src) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = pwrite(o, buf + done, n - done, off + off_t(done))
                if w < 0 { if errno == EINTR { continue }; throw sysError("write", dst) }
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
        let reason = String(cString: strerror(e))
        let hint: String? = e == ENOSPC
            ? "the filesystem is full; free space or use a larger volume, then run the restore again"
            : (e == EACCES || e == EPERM ? "check the permissions of the target folder and the user chainsnap runs as" : nil)
        return ChainsnapError(e == ENOSPC ? .insufficientSpace : .io, "\(what) '\(path)' failed: \(reason)", object: path, hint: hint)
    }
}
