#if canImport(Glibc)
import Glibc
#endif
import Codecs
import Foundation
import RestoreCore
import SnapshotCore
import Stores
import Transfer

/// Restores a monolithic `.tar.zst`, `.tar.lz4`, `.tar.gz` or `.tar` archive — what public
/// snapshot providers publish — from any store (`file://`, `https://`, `s3://`).
///
/// Ranges of the archive are fetched in parallel and fed, in order, to the decompressor and the
/// tar extractor while later ranges download. The restore follows the same safety rules as a
/// snapshot restore (`RestoreTarget`): it refuses a non-empty target without `force`, checks free
/// space first, builds the tree in a staging folder inside the target, rejects paths that escape
/// it, moves the result into place only when the whole archive was read (and its SHA-256 matched,
/// when given), and records a marker so a restarted pod does not restore again.
public enum ArchiveRestore {
    /// Options for an archive restore.
    public struct Options: Sendable {
        /// Expected SHA-256 of the whole archive file (hex); checked as the bytes stream past.
        public var sha256: String?
        /// Replace a non-empty target's contents.
        public var force: Bool
        /// The archive format; nil to tell from the name and the first bytes.
        public var format: ArchiveFormat?
        /// Bytes per ranged request.
        public var rangeSize: Int
        /// Ranged requests in flight at most.
        public var connections: Int
        /// Memory budget for ranges in flight and decompressed blocks.
        public var memoryLimit: Int64
        /// Check free space before starting (archive size × expansion).
        public var checkSpace: Bool
        /// Assumed ratio of extracted to archive size; nil for the format's default (3 when compressed).
        public var expansion: Double?
        /// Apply the archive's numeric owners (default: when running as root, like GNU tar).
        public var preserveOwnership: Bool
        /// Messages for the operator (format decisions, skipped entries).
        public var log: (@Sendable (String) -> Void)?
        /// Called with each number of archive bytes consumed.
        public var onProgress: (@Sendable (Int64) -> Void)?
        /// Progress display: its total is set to the archive size, then archive bytes are added as consumed.
        public var progress: ProgressReporter?
        /// The largest pax or GNU long-name tar header accepted (held in memory; `--max-tar-header`).
        public var maxTarHeaderBytes: Int64 = TarExtractor.Options.defaultMaxHeaderBytes
        /// Seconds to wait for another run holding the target (`TargetLock`); 0 refuses at once.
        public var lockWait: Double = 0

        public init(sha256: String? = nil, force: Bool = false, format: ArchiveFormat? = nil, rangeSize: Int = 8 << 20,
                    connections: Int = 16, memoryLimit: Int64 = 256 << 20, checkSpace: Bool = true,
                    expansion: Double? = nil, preserveOwnership: Bool = geteuid() == 0,
                    log: (@Sendable (String) -> Void)? = nil, onProgress: (@Sendable (Int64) -> Void)? = nil,
                    progress: ProgressReporter? = nil) {
            self.sha256 = sha256
            self.force = force
            self.format = format
            self.rangeSize = rangeSize
            self.connections = connections
            self.memoryLimit = memoryLimit
            self.checkSpace = checkSpace
            self.expansion = expansion
            self.preserveOwnership = preserveOwnership
            self.log = log
            self.onProgress = onProgress
            self.progress = progress
        }
    }

    /// What an archive restore did.
    public struct Summary: Sendable, Codable, CustomStringConvertible {
        /// The archive's redacted URL.
        public var source: String
        public var target: String
        public var format: ArchiveFormat?
        public var archiveBytes: Int64
        /// SHA-256 of the archive, when it was checked.
        public var sha256: String?
        public var stats: TarExtractionStats
        public var seconds: Double
        /// The marker showed this archive was already restored; nothing was done.
        public var alreadyRestored: Bool

        public var description: String {
            if alreadyRestored { return "\(target) already holds \(source) (marker found); nothing to do" }
            let rate = seconds > 0 ? Double(archiveBytes) / seconds : 0
            let outRate = seconds > 0 ? Double(stats.fileBytes) / seconds : 0
            var s = "restored \(source) (\(format?.rawValue ?? "?"), \(ByteCount.format(archiveBytes))) into \(target): "
            s += "\(stats.files) files, \(stats.directories) folders, \(stats.symlinks) symlinks, \(stats.hardLinks) hard links, "
            s += "\(ByteCount.format(stats.fileBytes)) in \(formatDuration(seconds)) "
            s += "(\(ByteCount.formatRate(rate)) of archive, \(ByteCount.formatRate(outRate)) restored)"
            if stats.skipped > 0 { s += "; \(stats.skipped) devices/FIFOs/ACL entries skipped" }
            if stats.setIDBitsDropped > 0 { s += "; setuid/setgid bits not applied to \(stats.setIDBitsDropped) entries" }
            if stats.missingEndMarker { s += "; the archive had no end-of-archive marker (accepted: the stream was complete)" }
            if let sha256 { s += "; sha256 \(sha256) verified" }
            return s
        }
    }

    /// Whether `url` names an archive (by its extension) rather than a snapshot store.
    public static func isArchiveURL(_ url: String) -> Bool {
        ArchiveFormat.fromName(url) != nil
    }

    /// Splits an archive URL into the store it lives in and its key:
    /// `https://host/a/b.tar.zst` → (`https://host/a`, `b.tar.zst`), `s3://bucket/x.tar` → (`s3://bucket`, `x.tar`).
    public static func splitURL(_ url: String) throws -> (storeURL: String, key: String) {
        var u = url
        if u.hasPrefix("/") { u = "file://" + u }
        guard let schemeEnd = u.range(of: "://") else {
            throw ChainsnapError(.invalidArgument, "'\(Redact.url(url))' is not an archive URL",
                                 hint: "use file:///path/node.tar.zst, https://host/path/node.tar.zst or s3://bucket/path/node.tar.zst")
        }
        // A query (a presigned or tokenised URL) belongs to the object: keep it on the store,
        // which sends it with every request, and find the file name before it.
        var query = ""
        let isHTTP = u.hasPrefix("http://") || u.hasPrefix("https://")
        if isHTTP, let q = u.firstIndex(of: "?") {
            query = String(u[q...])
            u = String(u[..<q])
        }
        let afterScheme = u[schemeEnd.upperBound...]
        guard let slash = afterScheme.lastIndex(of: "/") else {
            throw ChainsnapError(.invalidArgument, "archive URL '\(Redact.url(url))' has no file name",
                                 hint: "give the archive's full URL, e.g. https://host/path/node.tar.zst")
        }
        var base = String(u[..<slash])
        let key = String(u[u.index(after: slash)...])
        guard !key.isEmpty else {
            throw ChainsnapError(.invalidArgument, "archive URL '\(Redact.url(url))' ends with '/'", hint: "name the archive file itself")
        }
        if base.hasSuffix("://") { base += "/" }  // file:///x.tar → store file:///
        if isHTTP {
            // The store percent-encodes keys itself: hand it the decoded name.
            guard let decoded = key.removingPercentEncoding else {
                throw ChainsnapError(.invalidArgument, "archive URL '\(Redact.url(url))' has invalid percent-encoding", hint: "check the URL")
            }
            return (base + query, decoded)
        }
        return (base, key)
    }

    /// Restores the archive at `url` into `target`. `connections` and `memoryLimit` come from `storeOptions`.
    public static func run(from url: String, to target: String, storeOptions: StoreOptions = StoreOptions(),
                           options: Options = Options()) async throws -> Summary {
        let (base, key) = try splitURL(url)
        let store = try openStore(base, options: storeOptions)
        var o = options
        o.connections = storeOptions.connections
        o.memoryLimit = storeOptions.memoryLimit
        return try await run(store: store, key: key, to: target, options: o)
    }

    /// Restores the archive `key` of `store` into `target`.
    public static func run(store: any ObjectStore, key: String, to target: String, options: Options = Options()) async throws -> Summary {
        let clock = ContinuousClock()
        let started = clock.now
        limitMallocRetention()
        if let sha = options.sha256, !Hex.isSHA256(sha.lowercased()) {
            throw ChainsnapError(.invalidArgument, "--sha256 '\(sha)' is not a SHA-256", hint: "give 64 hexadecimal digits")
        }
        let source = store.displayURL(for: key)
        guard let info = try await store.head(key) else {
            throw ChainsnapError(.notFound, "archive \(source) does not exist", object: source, hint: "check the URL and the credentials")
        }
        guard info.size > 0 else {
            throw ChainsnapError(.corrupt, "archive \(source) is empty", object: source, hint: "check the URL; the object has no bytes")
        }
        let log = options.log ?? { _ in }
        let restoreTarget = try RestoreTarget(path: target)
        // One restore per target, from before the plan until the marker is written.
        let lock = try TargetLock.acquire(target: restoreTarget.path, what: source, wait: options.lockWait, log: log)
        defer { lock.release() }
        // What the server says about the object (not the options), so runs with and without --sha256 agree.
        var identity = "archive \(source) size:\(info.size)"
        if let etag = info.etag { identity += " etag:" + etag } else if let m = info.lastModified { identity += " mtime:\(Int64(m))" }
        var replaceExisting = false
        switch try restoreTarget.plan(identity: identity, force: options.force, log: log) {
        case .alreadyRestored(let marker):
            if let want = options.sha256?.lowercased(), let had = marker.sha256, had != want {
                throw ChainsnapError(.targetNotEmpty,
                                     "'\(restoreTarget.path)' holds \(source) with SHA-256 \(had), not the \(want) asked for; nothing was changed",
                                     object: restoreTarget.path, hint: "check --sha256; to restore again anyway, delete \(ReservedNames.marker) and pass --force")
            }
            return Summary(source: source, target: restoreTarget.path, format: nil, archiveBytes: info.size, sha256: nil,
                           stats: TarExtractionStats(), seconds: 0, alreadyRestored: true)
        case .resume(let phase, let replace):
            replaceExisting = replace
            if phase == .moving {
                // Every byte was extracted and checked before the interruption; finish moving it.
                log("finishing the interrupted move of \(source) into \(restoreTarget.path)")
                let marker = RestoreMarker(kind: "archive", identity: identity, source: source, bytes: 0,
                                           sha256: options.sha256?.lowercased())
                try restoreTarget.commit(marker: marker, replaceExisting: replace)
                return Summary(source: source, target: restoreTarget.path, format: nil, archiveBytes: info.size, sha256: nil,
                               stats: TarExtractionStats(), seconds: (clock.now - started).seconds, alreadyRestored: false)
            }
            // An archive stream cannot resume mid-way: start over.
            restoreTarget.discardStaging()
        case .fresh(let replace):
            replaceExisting = replace
        }

        let named = options.format ?? ArchiveFormat.fromName(key)
        if options.checkSpace {
            try await checkSpace(store: store, key: key, info: info, named: named, target: restoreTarget,
                                 expansion: options.expansion, log: log)
        }
        try restoreTarget.beginStaging(identity: identity, replaceExisting: replaceExisting)
        let result: ArchiveStream.Result
        options.progress?.setTotal(info.size)
        options.progress?.start()
        do {
            result = try await ArchiveStream(store: store, key: key, size: info.size, root: restoreTarget.stagingTree,
                                             options: options).run()
            options.progress?.finish()
            try await checkUnchanged(store: store, key: key, before: info, source: source)
            // On disk before the move and the marker: a crashed node must not find a "restored" tree with holes.
            try ArchiveDurability.syncFilesystem(of: restoreTarget.stagingTree)
        } catch {
            options.progress?.finish()
            restoreTarget.discardStaging()
            throw error
        }
        let marker = RestoreMarker(kind: "archive", identity: identity, source: source, bytes: result.stats.fileBytes,
                                   sha256: result.sha256)
        try restoreTarget.commit(marker: marker, replaceExisting: replaceExisting)
        return Summary(source: source, target: restoreTarget.path, format: result.format, archiveBytes: info.size,
                       sha256: result.sha256, stats: result.stats, seconds: (clock.now - started).seconds, alreadyRestored: false)
    }

    /// Free-space check before anything is written: the size the archive's frame header declares
    /// when it does, else the archive size times the assumed expansion (said in the log).
    static func checkSpace(store: any ObjectStore, key: String, info: ObjectInfo, named: ArchiveFormat?,
                           target: RestoreTarget, expansion: Double?, log: (String) -> Void) async throws {
        let head = try await store.get(key, range: 0..<min(info.size, 64))
        let format = head.withUnsafeBytes { ArchiveFormat.sniff($0) } ?? named ?? .tar
        let declared = head.withUnsafeBytes { ArchiveFormat.declaredContentSize($0, format: format) }
        let needed: Int64
        if expansion == nil, let declared, declared >= info.size / 2 {
            needed = declared
            log("free-space check: the \(format.compressionName) frame declares \(ByteCount.format(declared)) of tar data")
        } else {
            let factor = expansion ?? format.assumedExpansion
            needed = Int64(Double(info.size) * factor)
            if factor != 1 {
                log("free-space check: \(ByteCount.format(info.size)) archive, assuming the tree is up to \(factor)x that (\(ByteCount.format(needed)))")
            }
        }
        try target.checkSpace(bytes: needed, inodes: 0)
    }

    /// Fails when the archive changed on the server while it was read (ranges from two versions
    /// would mix): its size, ETag and modification time must be what they were at the start.
    static func checkUnchanged(store: any ObjectStore, key: String, before: ObjectInfo, source: String) async throws {
        var after: ObjectInfo?
        var attempt = 0
        while true {
            do {
                after = try await store.head(key)
                break
            } catch let e as ChainsnapError where e.isRetryable && attempt < 3 {
                // Everything is extracted already: a passing network fault must not throw that away.
                attempt += 1
                try await Task.sleep(for: .milliseconds(200 << attempt))
            }
        }
        guard let after, after.size == before.size, after.etag == before.etag, after.lastModified == before.lastModified else {
            var what = "it is gone"
            if let after {
                what = after.size != before.size ? "size \(before.size) → \(after.size)"
                    : after.etag != before.etag ? "ETag \(before.etag ?? "-") → \(after.etag ?? "-")" : "modification time changed"
            }
            throw ChainsnapError(.corrupt, "archive \(source) changed while it was being restored (\(what)); nothing was changed in the target",
                                 object: source, hint: "run the restore again once the publisher has finished uploading", retryable: true)
        }
    }

    /// Picks the format from the explicit choice, the key's extension and the first bytes.
    /// The bytes win over the name (with a message); a name promising compression the bytes do not show is an error.
    static func chooseFormat(key: String, explicit: ArchiveFormat?, prefix: UnsafeRawBufferPointer,
                             log: (@Sendable (String) -> Void)?) throws -> ArchiveFormat {
        let named = explicit ?? ArchiveFormat.fromName(key)
        let sniffed = ArchiveFormat.sniff(prefix)
        switch (named, sniffed) {
        case (let n?, let s?) where n != s:
            log?("'\(key)' is named as \(n.rawValue) but its bytes are \(s.rawValue); reading it as \(s.rawValue)")
            return s
        case (_, let s?):
            return s
        case (let n?, nil) where n != .tar:
            let head = Hex.encode(prefix.prefix(4))
            throw ChainsnapError(.unsupportedFormat, "'\(key)' should be \(n.compressionName)-compressed but does not start like it (first bytes \(head))",
                                 object: key, hint: "the file is not a \(n.rawValue) archive (an HTML error page?); check the URL")
        default:
            // Old (v7) tar has no magic; the header checksum will tell.
            return .tar
        }
    }
}

/// Range bodies are large (MiBs) and allocated on many threads. glibc's adaptive mmap threshold
/// would move them into per-thread arenas that keep freed memory (measured: +60-80 MB RSS over
/// 16 connections); a fixed threshold keeps such buffers mmapped and returned on free.
private func limitMallocRetention() {
    #if canImport(Glibc)
    // Swift's Glibc module does not export <malloc.h>; look mallopt up instead. M_MMAP_THRESHOLD is -3.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        _ = unsafeBitCast(sym, to: Mallopt.self)(-3, 1 << 20)
    }
    #endif
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
