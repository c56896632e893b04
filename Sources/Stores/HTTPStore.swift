import Foundation
import SnapshotCore
import Transfer

/// `https://host/prefix` and `http://host/prefix`: a read-only store over plain HTTP(S)
/// (CDNs, public snapshot mirrors, nginx), with Range requests and the parallel downloader.
///
/// Listing: HTTP has no listing verb, so `list(prefix:)` reads the server's folder index and
/// understands nginx's `autoindex on; autoindex_format json;` (one GET per folder). Mirrors
/// without it can still be read through fixed keys (a manifest names every chunk); `list`
/// then throws a clear `.unsupportedFormat` error.
public struct HTTPStore: BulkFetching {
    /// The base URL without a trailing slash.
    public let baseURL: String
    public let options: StoreOptions
    let fetcher: ParallelFetcher
    /// For single gets: one worker, same connection pool.
    let single: ParallelFetcher
    let runner: RequestRunner

    public var displayURL: String { Redact.url(query.isEmpty ? baseURL : baseURL + "?" + query) }
    public var isWritable: Bool { false }

    /// A query string sent with every request (signed/tokenised mirror URLs), without `?`.
    public let query: String

    /// - Parameter baseURL: `https://host/prefix`, optionally with `?query` (kept on every object URL).
    public init(baseURL: String, options: StoreOptions = StoreOptions()) {
        var base = baseURL
        var query = ""
        if let q = base.firstIndex(of: "?") {
            query = String(base[base.index(after: q)...])
            base = String(base[..<q])
        }
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.query = query
        self.options = options
        let transfer = options.transferOptions(signer: nil)
        self.fetcher = ParallelFetcher(options: transfer)
        self.single = ParallelFetcher(options: transfer.forSingleRequests)
        self.runner = RequestRunner(caFile: options.caFile, log: options.log)
    }

    public func displayURL(for key: String) -> String { Redact.url(url(for: key)) }

    /// The URL of `key` (each path segment percent-encoded).
    /// Whether a HEAD answer is a static server's redirect from a folder's name to `NAME/` (nginx,
    /// Apache, S3 website hosting do this): the name is a folder, not an object. `location` may be
    /// absolute or a path; queries are ignored. Other redirects are not folders.
    static func isFolderRedirect(status: Int, location: String?, url: String) -> Bool {
        guard [301, 302, 303, 307, 308].contains(status), let location else { return false }
        func path(_ s: String) -> Substring {
            var p = s.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if let scheme = p.range(of: "://") {
                p = p[scheme.upperBound...]
                p = p.firstIndex(of: "/").map { p[$0...] } ?? "/"
            }
            return p
        }
        let target = path(location)
        return target.hasSuffix("/") && target.dropLast() == path(url)
    }

    public func url(for key: String) -> String {
        baseURL + "/" + URIEncoding.encodePath(key) + (query.isEmpty ? "" : "?" + query)
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try await fetchOne(TransferRequest(url: url(for: key), objectID: key), key: key)
    }

    public func get(_ key: String, range: Range<Int64>) async throws -> [UInt8] {
        if range.isEmpty { return [] }
        return try await fetchOne(TransferRequest(url: url(for: key), range: range, objectID: key), key: key)
    }

    func fetchOne(_ request: TransferRequest, key: String) async throws -> [UInt8] {
        let box = BodyBox()
        do {
            try await single.fetchAll([request]) { _, body in box.set(body) }
        } catch let e as ChainsnapError where e.code == .notFound {
            throw ChainsnapError(.notFound, "object '\(key)' is missing from \(displayURL)", object: key, underlying: e)
        }
        return box.get()
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let u = url(for: key)
        var r = try await runner.send("HEAD", u)
        if r.status == 405 || r.status == 403 || r.status == 501 {
            // Some servers (and presigned GET URLs) refuse HEAD: ask for the first byte instead.
            // At most 64 KiB is read, in case the server ignores Range and sends the whole object.
            let g = try await runner.send("GET", u, headers: [("Range", "bytes=0-0")], maxBodyBytes: 64 << 10)
            if g.status == 206, let cr = g.headers["content-range"].flatMap(ContentRange.init(parsing:)), let total = cr.total {
                return ObjectInfo(key: key, size: total, etag: g.headers["etag"],
                                  lastModified: g.headers["last-modified"].flatMap(HTTPDate.parse))
            }
            if g.status == 416 { return ObjectInfo(key: key, size: 0, etag: g.headers["etag"]) }
            if g.status == 200, let len = g.headers["content-length"].flatMap({ Int64($0) }) {
                return ObjectInfo(key: key, size: len, etag: g.headers["etag"])
            }
            r = g
        }
        if r.status == 404 || Self.isFolderRedirect(status: r.status, location: r.headers["location"], url: u) { return nil }
        guard (200..<300).contains(r.status) else { throw HTTPFailure.error(method: "HEAD", url: u, status: r.status, body: r.body) }
        guard let size = r.headers["content-length"].flatMap({ Int64($0) }) else {
            throw ChainsnapError(.http, "HEAD \(Redact.url(u)) gave no Content-Length", object: key,
                                 hint: "the server must send Content-Length for objects")
        }
        return ObjectInfo(key: key, size: size, etag: r.headers["etag"],
                          lastModified: r.headers["last-modified"].flatMap(HTTPDate.parse))
    }

    public func put(_ key: String, bytes: [UInt8]) async throws { try requireWritable() }
    public func putFile(_ key: String, path: String) async throws { try requireWritable() }
    public func delete(_ key: String) async throws { try requireWritable() }

    /// Objects under `prefix`, from nginx JSON folder indexes (see the type's documentation).
    public func list(prefix: String) async throws -> [ObjectInfo] {
        let dir = prefix.contains("/") ? String(prefix[...prefix.lastIndex(of: "/")!]) : ""
        var out: [ObjectInfo] = []
        try await walk(dir: dir, prefix: prefix, into: &out)
        return out.sorted { $0.key < $1.key }
    }

    struct IndexEntry: Decodable {
        var name: String
        var type: String
        var size: Int64?
        var mtime: String?
    }

    private func walk(dir: String, prefix: String, into out: inout [ObjectInfo]) async throws {
        let u = baseURL + "/" + URIEncoding.encodePath(dir) + (query.isEmpty ? "" : "?" + query)
        let r = try await runner.send("GET", u, headers: [("Accept", "application/json")])
        if r.status == 404 { return }
        guard (200..<300).contains(r.status) else { throw HTTPFailure.error(method: "GET", url: u, status: r.status, body: r.body) }
        let entries: [IndexEntry]
        do {
            entries = try JSONDecoder().decode([IndexEntry].self, from: Data(r.body))
        } catch {
            throw ChainsnapError(.unsupportedFormat, "\(displayURL) cannot list '\(prefix)': the folder index at \(Redact.url(u)) is not a JSON autoindex",
                                 object: Redact.url(u),
                                 hint: "serve the mirror with nginx `autoindex on; autoindex_format json;`, or restore by exact snapshot id / archive URL")
        }
        for e in entries {
            let key = dir + e.name
            if e.type == "directory" {
                let sub = key + "/"
                if sub.hasPrefix(prefix) || prefix.hasPrefix(sub) {
                    try await walk(dir: sub, prefix: prefix, into: &out)
                }
            } else if e.type == "file", key.hasPrefix(prefix) {
                out.append(ObjectInfo(key: key, size: e.size ?? 0, etag: nil, lastModified: e.mtime.flatMap(HTTPDate.parse)))
            }
        }
    }

    @discardableResult
    public func fetchAll(_ requests: [FetchRequest],
                         consume: @escaping @Sendable (FetchRequest, [UInt8]) throws -> Void) async throws -> TransferSummary {
        let transfers = requests.enumerated().map { i, r in
            TransferRequest(url: url(for: r.key), range: r.range, expectedSize: r.expectedSize, objectID: r.key, tag: i)
        }
        return try await fetcher.fetchAll(transfers) { t, body in try consume(requests[t.tag], body) }
    }
}

/// Holds one body handed over from a worker thread.
final class BodyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var body: [UInt8] = []
    func set(_ b: [UInt8]) { lock.withLock { body = b } }
    func get() -> [UInt8] { lock.withLock { body } }
}

/// Parses HTTP dates (`Mon, 23 Nov 2026 23:40:00 GMT`) and ISO 8601 (`2026-11-23T23:40:00.000Z`).
enum HTTPDate {
    static func parse(_ text: String) -> Double? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "yyyy-MM-dd'T'HH:mm:ssZ"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        }
        return nil
    }
}

extension TransferOptions {
    /// The same settings with one worker thread, for one-request calls.
    var forSingleRequests: TransferOptions {
        var o = self
        o.workers = 1
        return o
    }
}

extension StoreOptions {
    /// The downloader settings these store options imply. Bodies get half the memory budget
    /// (measured, 2.1 GB snapshot over 16 connections: peak RSS is about the bodies' budget plus
    /// 80 MiB, and budgets above 64 MiB no longer change the speed on loopback).
    /// `--http2` or `CHAINSNAP_HTTP2=1` offers HTTP/2 over TLS (see `TransferOptions.http2`).
    func transferOptions(signer: RequestSigner?,
                         environment: [String: String] = ProcessInfo.processInfo.environment) -> TransferOptions {
        TransferOptions(connections: connections, memoryLimit: max(8 << 20, memoryLimit / 2),
                        workers: max(2, min(4, ProcessInfo.processInfo.activeProcessorCount)),
                        caFile: caFile, http2: http2 || environment["CHAINSNAP_HTTP2"] == "1",
                        signer: signer, log: log, pool: ConnectionPool())
    }
}
