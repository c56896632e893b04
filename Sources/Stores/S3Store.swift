import Codecs
import Foundation
import SnapshotCore
import Transfer

/// `s3://bucket/prefix` on any S3-compatible service (AWS, DigitalOcean Spaces, R2, MinIO,
/// Ceph, SeaweedFS): Signature V4 on every request, path-style or virtual-host addressing,
/// ranged GETs and bulk fetches through the parallel downloader, ListObjectsV2 with
/// pagination, multipart upload for large files (parallel parts, aborted on failure).
public struct S3Store: BulkFetching {
    public let bucket: String
    /// Key prefix inside the bucket, without leading or trailing `/` ("" for the bucket root).
    public let prefix: String
    /// `scheme://host[:port]` of the service.
    public let endpoint: String
    public let region: String
    public let pathStyle: Bool
    public let options: StoreOptions
    let signer: SigV4Signer
    let fetcher: ParallelFetcher
    /// For single gets: one worker, same connection pool.
    let single: ParallelFetcher
    let runner: RequestRunner

    /// Files at least this large are uploaded in parts.
    public var multipartThreshold: Int64 = 64 << 20
    /// Size of each part (S3's minimum is 5 MiB for every part but the last).
    public var partSize: Int64 = 16 << 20
    /// Parts uploaded at once.
    public var uploadConcurrency: Int = 4

    public var displayURL: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/" + prefix) }
    public var isWritable: Bool { true }

    /// - Parameters:
    ///   - credentials: nil to resolve them (credentials dir, environment, shared file; see `CredentialResolver`).
    public init(bucket: String, prefix: String, options: StoreOptions = StoreOptions(),
                credentials: AWSCredentials? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard !bucket.isEmpty else {
            throw ChainsnapError(.invalidArgument, "S3 URL has no bucket", hint: "write s3://BUCKET/PREFIX")
        }
        var p = prefix
        while p.hasPrefix("/") { p.removeFirst() }
        while p.hasSuffix("/") { p.removeLast() }
        self.bucket = bucket
        self.prefix = p
        let region = options.region ?? CredentialResolver.nonEmpty(environment["AWS_REGION"])
            ?? CredentialResolver.nonEmpty(environment["AWS_DEFAULT_REGION"]) ?? "us-east-1"
        self.region = region
        var ep = options.endpoint ?? CredentialResolver.nonEmpty(environment["AWS_ENDPOINT_URL_S3"])
            ?? CredentialResolver.nonEmpty(environment["AWS_ENDPOINT_URL"]) ?? "https://s3.\(region).amazonaws.com"
        while ep.hasSuffix("/") { ep.removeLast() }
        guard ep.hasPrefix("http://") || ep.hasPrefix("https://") else {
            throw ChainsnapError(.invalidArgument, "--endpoint '\(ep)' must start with http:// or https://",
                                 hint: "for example --endpoint https://nyc3.digitaloceanspaces.com")
        }
        self.endpoint = ep
        // Custom endpoints (MinIO, SeaweedFS, Ceph) usually want path style; AWS wants virtual hosts.
        // Buckets with dots cannot be virtual hosts under TLS.
        self.pathStyle = options.pathStyle ?? (options.endpoint != nil || bucket.contains("."))
        self.options = options
        let creds = try credentials ?? CredentialResolver.resolve(options: options, environment: environment)
        let signer = SigV4Signer(credentials: creds, region: region)
        self.signer = signer
        let sign: RequestSigner = { req in try signer.sign(&req, date: Date()) }
        let transfer = options.transferOptions(signer: sign)
        self.fetcher = ParallelFetcher(options: transfer)
        self.single = ParallelFetcher(options: transfer.forSingleRequests)
        // Uploads and other single requests share one bound that S3's SlowDown lowers.
        self.runner = RequestRunner(caFile: options.caFile, signer: sign, log: options.log,
                                    gate: RequestGate(maximum: max(1, options.connections)))
    }

    // MARK: addressing

    /// The full object key for a store key.
    public func objectKey(_ key: String) -> String { prefix.isEmpty ? key : prefix + "/" + key }

    private var hostBase: (scheme: String, host: String) {
        let r = endpoint.range(of: "://")!
        return (String(endpoint[..<r.lowerBound]), String(endpoint[r.upperBound...]))
    }

    /// The URL of a full object key, with an optional raw query.
    public func objectURL(_ fullKey: String, query: String = "") -> String {
        let q = query.isEmpty ? "" : "?" + query
        if pathStyle { return "\(endpoint)/\(bucket)/\(URIEncoding.encodePath(fullKey))\(q)" }
        let (scheme, host) = hostBase
        return "\(scheme)://\(bucket).\(host)/\(URIEncoding.encodePath(fullKey))\(q)"
    }

    /// The bucket's URL (for listings and bucket operations).
    public func bucketURL(query: String = "") -> String {
        let q = query.isEmpty ? "" : "?" + query
        if pathStyle { return "\(endpoint)/\(bucket)\(q)" }
        let (scheme, host) = hostBase
        return "\(scheme)://\(bucket).\(host)/\(q)"
    }

    func check(_ r: HTTPResponse, _ method: String, _ url: String, key: String? = nil) throws {
        guard (200..<300).contains(r.status) else {
            var e = HTTPFailure.error(method: method, url: url, status: r.status, body: r.body)
            if r.status == 404, let key, e.code == .notFound, HTTPFailure.serviceError(in: r.body).code != "NoSuchBucket" {
                e = ChainsnapError(.notFound, "object '\(key)' is missing from \(displayURL)", object: key, underlying: e)
            }
            throw e
        }
    }

    // MARK: ObjectStore

    public func get(_ key: String) async throws -> [UInt8] {
        try await fetchOne(TransferRequest(url: objectURL(objectKey(key)), objectID: key), key: key)
    }

    public func get(_ key: String, range: Range<Int64>) async throws -> [UInt8] {
        if range.isEmpty { return [] }
        return try await fetchOne(TransferRequest(url: objectURL(objectKey(key)), range: range, objectID: key), key: key)
    }

    func fetchOne(_ request: TransferRequest, key: String) async throws -> [UInt8] {
        let box = BodyBox()
        do {
            try await single.fetchAll([request]) { _, body in box.set(body) }
        } catch let e as ChainsnapError where e.code == .notFound && !e.message.contains("NoSuchBucket") {
            throw ChainsnapError(.notFound, "object '\(key)' is missing from \(displayURL)", object: key, underlying: e)
        }
        return box.get()
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let u = objectURL(objectKey(key))
        let r = try await runner.send("HEAD", u)
        if r.status == 404 { return nil }
        try check(r, "HEAD", u)
        return ObjectInfo(key: key, size: r.headers["content-length"].flatMap { Int64($0) } ?? 0,
                          etag: r.headers["etag"], lastModified: r.headers["last-modified"].flatMap(HTTPDate.parse))
    }

    public func put(_ key: String, bytes: [UInt8]) async throws {
        let u = objectURL(objectKey(key))
        let r = try await runner.send("PUT", u, headers: [("Content-Type", "application/octet-stream")], body: bytes,
                                      payloadHash: SHA256Hasher.hex(bytes))
        try check(r, "PUT", u)
    }

    public func delete(_ key: String) async throws {
        let u = objectURL(objectKey(key))
        let r = try await runner.send("DELETE", u)
        if r.status == 404 { return }
        try check(r, "DELETE", u)
    }

    /// ListObjectsV2 over every page (1,000 keys each), keys relative to the store's prefix.
    public func list(prefix keyPrefix: String) async throws -> [ObjectInfo] {
        let full = objectKey(keyPrefix)
        let strip = prefix.isEmpty ? 0 : prefix.count + 1
        var out: [ObjectInfo] = []
        var token: String?
        repeat {
            var q = "list-type=2&prefix=\(URIEncoding.encode(full))"
            if let token { q += "&continuation-token=\(URIEncoding.encode(token))" }
            let u = bucketURL(query: q)
            let r = try await runner.send("GET", u)
            try check(r, "GET", u)
            let text = Substring(String(decoding: r.body, as: UTF8.self))
            for c in S3XML.blocks("Contents", in: text) {
                guard let k = S3XML.value("Key", in: c), k.count >= strip else { continue }
                out.append(ObjectInfo(key: String(k.dropFirst(strip)), size: S3XML.value("Size", in: c).flatMap { Int64($0) } ?? 0,
                                      etag: S3XML.value("ETag", in: c),
                                      lastModified: S3XML.value("LastModified", in: c).flatMap(HTTPDate.parse)))
            }
            token = S3XML.value("IsTruncated", in: text) == "true" ? S3XML.value("NextContinuationToken", in: text) : nil
            if S3XML.value("IsTruncated", in: text) == "true" && token == nil {
                throw ChainsnapError(.http, "ListObjectsV2 on \(displayURL) was truncated without a continuation token",
                                     hint: "the S3 service does not implement ListObjectsV2 paging correctly")
            }
        } while token != nil
        return out.sorted { $0.key < $1.key }
    }

    @discardableResult
    public func fetchAll(_ requests: [FetchRequest],
                         consume: @escaping @Sendable (FetchRequest, [UInt8]) throws -> Void) async throws -> TransferSummary {
        let transfers = requests.enumerated().map { i, r in
            TransferRequest(url: objectURL(objectKey(r.key)), range: r.range, expectedSize: r.expectedSize, objectID: r.key, tag: i)
        }
        return try await fetcher.fetchAll(transfers) { t, body in try consume(requests[t.tag], body) }
    }

    // MARK: bucket helpers

    /// Creates the bucket (fine if this account already owns it).
    public func createBucket() async throws {
        let u = bucketURL()
        let r = try await runner.send("PUT", u, body: [], payloadHash: SigV4Signer.emptyPayloadHash)
        if r.status == 409, HTTPFailure.serviceError(in: r.body).code == "BucketAlreadyOwnedByYou" { return }
        try check(r, "PUT", u)
    }

    /// A presigned GET URL for `key`, valid for `expires` seconds.
    public func presignedURL(_ key: String, method: String = "GET", expires: Int = 3600, date: Date = Date()) throws -> String {
        try signer.presign(method: method, url: objectURL(objectKey(key)), date: date, expires: expires).url
    }
}
