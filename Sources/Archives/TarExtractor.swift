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
        /// Regular-file content going to the open file.
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

    /// Writes the entries (and keeps the symlink bookkeeping that makes that safe).
    private let writer: TarTreeWriter

    static let maxMetaSize: Int64 = 1 << 20

    /// Extracts into `root`, which must exist.
    public init(root: String, options: Options = Options()) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
        self.options = options
        writer = TarTreeWriter(root: r, preserveOwnership: options.preserveOwnership)
    }

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
                try writer.writeFile(UnsafeRawBufferPointer(rebasing: input[p..<(p + take)]))
                stats.fileBytes += Int64(take)
                p += take
                advance(take)
                if remaining == Int64(take) {
                    try writer.closeFile()
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
            writer.abandonFile()
            throw truncated(stats.tarBytes == 0 ? "it is empty" : "it ends in the middle of an entry")
        }
        try writer.applyDirectoryMetadata()
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
        // Old (v7) tars mark folders only by a trailing slash on a regular-file entry.
        let type: TarEntryType = h.type == .file && h.name.hasSuffix("/") ? .directory : h.type
        switch type {
        case .file:
            try writer.createFile(path, header: h)
            stats.files += 1
            if dataSize == 0 {
                try writer.closeFile()
                afterContent()
            } else {
                state = .fileData(remaining: dataSize)
            }
        case .directory:
            try writer.createDirectory(path, header: h)
            stats.directories += 1
            skipData(dataSize)
        case .symlink:
            try writer.createSymlink(path, header: h)
            stats.symlinks += 1
            skipData(dataSize)
        case .hardLink:
            try writer.createHardLink(path, target: TarExtractor.normalize(h.linkName))
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

}
