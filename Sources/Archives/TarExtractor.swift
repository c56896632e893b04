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
    /// Devices, FIFOs and Solaris ACL entries, which are never created.
    public var skipped = 0
    /// Entries whose setuid/setgid bits were not applied.
    public var setIDBitsDropped = 0
    /// The archive ended without the end-of-archive marker, at an entry boundary, and the
    /// transport said the stream was complete: accepted with a warning.
    public var missingEndMarker = false
    /// Bytes of regular-file content written.
    public var fileBytes: Int64 = 0
    /// Bytes of tar stream consumed (headers, data, padding).
    public var tarBytes: Int64 = 0

    public init() {}
}

/// A streaming tar extractor: fed buffers of any size, it writes entries under `root`.
///
/// Reads V7, ustar, GNU (`L`/`K` long names and links, base-256 numbers) and pax (`path`,
/// `linkpath`, `size`, `mtime`, `uid`, `gid`) — what GNU tar and Python's tarfile write. Names are
/// bytes, restored as the archive holds them (UTF-8 or not) and escaped in messages
/// (`PathRules.display`). Creates regular files (with positional writes), folders, symlinks and
/// hard links; skips devices, FIFOs and Solaris ACL entries with a message. Links, folders,
/// devices and FIFOs carry no data whatever their size field says (as GNU tar reads them).
/// Applies mode (setuid/setgid dropped) and mtime; folders get theirs after their contents.
///
/// Safety: every path is checked with `PathRules` (no absolute paths, no `..`), symlink targets
/// must stay inside the tree, no entry is ever written or resolved through a symlink created
/// earlier in the same extraction (each parent component is known to be a real folder), and a
/// hard link must name a regular file or symlink this extraction created (see `TarTreeWriter`).
/// `root` should be a fresh, empty staging folder. Call `finish()` at the end: an archive that
/// stops mid-entry is reported as truncated, and one without the end-of-archive marker too unless
/// the caller knows the stream is complete.
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
        /// The largest pax or GNU long-name header read (they are held in memory); larger ones
        /// refuse the archive, saying this limit and how to raise it (`--max-tar-header`).
        public var maxHeaderBytes: Int64

        /// The default `maxHeaderBytes`: 1 MiB, far above any name or pax record GNU tar writes.
        public static let defaultMaxHeaderBytes: Int64 = 1 << 20

        public init(preserveOwnership: Bool = geteuid() == 0, reservedTopLevelNames: Set<String> = [],
                    log: (@Sendable (String) -> Void)? = nil, maxHeaderBytes: Int64 = Options.defaultMaxHeaderBytes) {
            self.preserveOwnership = preserveOwnership
            self.reservedTopLevelNames = reservedTopLevelNames
            self.log = log
            self.maxHeaderBytes = maxHeaderBytes
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
    private var pendingLongName: [UInt8]?
    private var pendingLongLink: [UInt8]?
    private var pendingPax = PaxValues()
    private var globalPax = PaxValues()

    /// Writes the entries (and keeps the symlink bookkeeping that makes that safe).
    private let writer: TarTreeWriter
    /// Reserved top-level names as bytes.
    private let reserved: Set<[UInt8]>

    /// Extracts into `root`, which must exist.
    public init(root: String, options: Options = Options()) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
        self.options = options
        writer = TarTreeWriter(root: r, preserveOwnership: options.preserveOwnership)
        reserved = Set(options.reservedTopLevelNames.map { Array($0.utf8) })
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
    ///
    /// - Parameter streamComplete: the transport knows the stream is whole (its length matched
    ///   the object's, a compressed frame ended cleanly). Then an archive whose entries end exactly
    ///   at the end of the stream, without the end-of-archive marker (as Go's archive/tar and
    ///   tar-split tools can write), is accepted with a warning, as GNU tar accepts it.
    public func finish(streamComplete: Bool = false) throws {
        switch state {
        case .end:
            break
        case .header where headerFill == 0 && stats.tarBytes > 0 && offset > 0 && pendingLongName == nil
            && pendingLongLink == nil && pendingPax.isEmpty:
            guard streamComplete else { throw truncated("it ends without the end-of-archive marker") }
            stats.missingEndMarker = true
            options.log?("warning: the tar archive has no end-of-archive marker; its entries end exactly where the complete stream ends, so it was read to the end")
        case .header where headerFill == 0 && stats.tarBytes > 0 && offset > 0:
            throw truncated("it ends after an extension header, before the entry it describes")
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
            guard h.size <= options.maxHeaderBytes else {
                let kind = h.type == .gnuLongName || h.type == .gnuLongLink ? "GNU long-name" : "pax"
                throw ChainsnapError(.unsupportedFormat,
                                     "tar \(kind) header at byte \(headerOffset) holds \(ByteCount.format(h.size)), over the limit of \(ByteCount.format(options.maxHeaderBytes)) for one header",
                                     object: "tar offset \(headerOffset)",
                                     hint: "such headers are held in memory, so their size is capped; if you trust the archive, run again with --max-tar-header \(TarExtractor.flagValue(h.size)) (or more)")
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
            let shown = PathRules.display(h.name)
            throw ChainsnapError(.unsupportedFormat, "tar entry '\(shown)' is a sparse file, which chainsnap does not extract",
                                 object: shown, hint: "create the archive without --sparse (-S)")
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

    private static func cString(_ bytes: [UInt8]) -> [UInt8] {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return Array(bytes[..<end])
    }

    /// A size as `--max-tar-header` takes it, rounded up to whole MiB.
    static func flagValue(_ bytes: Int64) -> String { "\((bytes + (1 << 20) - 1) >> 20)MiB" }

    /// Normalizes an archive path: drops leading `./` and trailing `/`. Returns [] for the root itself.
    static func normalize(_ raw: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var s = raw[...]
        while s.count >= 2 && s[s.startIndex] == dot && s[s.startIndex + 1] == slash {
            s = s.dropFirst(2)
            while s.first == slash { s = s.dropFirst() }
        }
        if s.count == 1 && s.first == dot { return [] }
        while s.count > 1 && s.last == slash { s = s.dropLast() }
        return Array(s)
    }

    // MARK: entries

    private func createEntry(_ h: TarHeader, headerOffset: Int64) throws {
        let path = TarExtractor.normalize(h.name)
        // Old (v7) tars mark folders only by a trailing slash on a regular-file entry.
        let type: TarEntryType = h.type == .file && h.name.last == UInt8(ascii: "/") ? .directory : h.type
        // Links, folders, devices and FIFOs carry no data, whatever the size field says.
        let dataSize = type.hasData ? h.size : 0
        padAfter = TarExtractor.padding(dataSize)
        func shown() -> String { PathRules.display(path) }  // for messages only: not paid per entry
        if path.isEmpty {
            // "./" itself: the target folder. Its mode and mtime belong to the operator, not the archive.
            skipData(dataSize)
            return
        }
        try PathRules.checkEntryPath(bytes: path)
        if !reserved.isEmpty {
            let top = Array(path.split(separator: UInt8(ascii: "/"), maxSplits: 1).first ?? path[...])
            if reserved.contains(top) {
                throw ChainsnapError(.unsafePath, "refusing path '\(shown())': '\(PathRules.display(top))' is reserved for chainsnap's own state",
                                     object: shown(), hint: "the archive was not made from a node's data folder; nothing was written to the target")
            }
        }
        if h.mode & 0o6000 != 0 && type != .symlink { stats.setIDBitsDropped += 1 }
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
        case .directory, .gnuDumpDir:
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
            options.log?("skipping '\(shown())': device files and FIFOs are not restored")
            stats.skipped += 1
            skipData(dataSize)
        case .solarisACL:
            // Solaris tar writes a file's ACL as an `A` entry of the same name before the file.
            options.log?("skipping the ACL entries of '\(shown())' (Solaris tar 'A' entry): ACLs are not restored")
            stats.skipped += 1
            skipData(dataSize)
        case .gnuVolumeLabel:
            skipData(dataSize)
        case .gnuMultiVolume:
            throw ChainsnapError(.unsupportedFormat, "tar entry '\(shown())' continues a multi-volume archive",
                                 object: shown(), hint: "restore from a single-volume archive")
        default:
            throw ChainsnapError(.unsupportedFormat,
                                 "tar entry '\(shown())' has type '\(PathRules.display([h.typeFlag]))', which chainsnap does not extract",
                                 object: shown(), hint: "create the archive with GNU tar's default (gnu) or pax format")
        }
    }

    private func skipData(_ size: Int64) {
        let total = size + TarExtractor.padding(size)
        padAfter = 0
        state = total > 0 ? .skip(remaining: total) : .header
    }

}
