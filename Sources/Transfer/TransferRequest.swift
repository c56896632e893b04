import SnapshotCore

/// A request as it goes on the wire, before signing. A `RequestSigner` may rewrite any part.
public struct PreparedRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    /// SHA-256 hex of the body, or nil for an empty body (signers use it for `x-amz-content-sha256`).
    public var payloadHash: String?

    public init(method: String, url: String, headers: [(String, String)] = [], payloadHash: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.payloadHash = payloadHash
    }
}

/// Called for every attempt of every request (so each retry gets a fresh date and signature).
public typealias RequestSigner = @Sendable (inout PreparedRequest) throws -> Void

/// One GET for the parallel downloader: a URL, optionally a byte range of it.
public struct TransferRequest: Sendable, Hashable {
    public var url: String
    /// Byte range within the object; nil for the whole object.
    public var range: Range<Int64>?
    /// The exact size of the answer, when known: memory is reserved for it, and a body of
    /// another length is treated as short (retried) or wrong (rejected).
    public var expectedSize: Int64?
    /// Groups the ranges of one object: if their ETags differ, the object changed mid-download.
    public var objectID: String
    /// The caller's own number for this request (an index, a chunk number…).
    public var tag: Int
    /// The ETag the object must still have (from an earlier HEAD or fetch): a different one fails
    /// the object as changed. Lets callers that fetch one object over several `fetchAll` calls
    /// notice a replacement between them.
    public var expectedETag: String?

    public init(url: String, range: Range<Int64>? = nil, expectedSize: Int64? = nil, objectID: String? = nil, tag: Int = 0,
                expectedETag: String? = nil) {
        self.url = url
        self.range = range
        self.expectedSize = expectedSize
        self.objectID = objectID ?? url
        self.tag = tag
        self.expectedETag = expectedETag
    }

    /// The bytes this request is expected to bring, for memory accounting.
    func estimatedSize(unknown: Int64) -> Int64 {
        if let e = expectedSize { return max(0, e) }
        if let r = range { return Int64(r.count) }
        return unknown
    }
}

/// Settings of the parallel downloader.
public struct TransferOptions: Sendable {
    /// Requests in flight at most (`--connections`).
    public var connections: Int
    /// Bytes being downloaded plus bytes waiting for (or in) a worker never exceed this (`--memory-limit`),
    /// except that a single request larger than the budget still runs, alone.
    public var memoryLimit: Int64
    /// Threads running the caller's `consume` closure.
    public var workers: Int
    /// Extra CA bundle (PEM) to trust, for private CAs (`--ca-file`).
    public var caFile: String?
    public var retry: RetryPolicy
    /// A transfer with no bytes for this many seconds is treated as stalled and retried.
    public var stallSeconds: Int
    public var connectTimeout: Double
    /// Offer HTTP/2 over TLS (ALPN); plain `http://` stays HTTP/1.1. Off by default: with one
    /// stream per connection it only adds framing cost (loopback TLS, 16 connections, 1 GiB:
    /// HTTP/1.1 457-483 MB/s vs HTTP/2 307-391 MB/s); turn it on for CDNs that limit connections.
    public var http2: Bool
    /// Let several requests share one HTTP/2 connection. Off by default: object stores and
    /// rate-limited mirrors cap each connection, so separate connections are faster.
    public var multiplex: Bool
    /// libcurl's receive buffer (CURLOPT_BUFFERSIZE).
    public var bufferSize: Int
    /// Memory reserved for a request of unknown size until its Content-Length arrives.
    public var unknownSizeEstimate: Int64
    /// Signs (or otherwise adjusts) each attempt of each request; S3 uses it for SigV4.
    public var signer: RequestSigner?
    /// Retries and other notable events, one line each (URLs redacted).
    public var log: (@Sendable (String) -> Void)?
    /// Called on the download thread with the size of each completed body.
    public var onBytes: (@Sendable (Int64) -> Void)?
    /// Keeps connections open between calls (stores pass their own pool); nil = fresh connections per call.
    public var pool: ConnectionPool?

    public init(connections: Int = 16, memoryLimit: Int64 = 256 << 20, workers: Int = 3, caFile: String? = nil,
                retry: RetryPolicy = RetryPolicy(), stallSeconds: Int = 30, connectTimeout: Double = 15,
                http2: Bool = false, multiplex: Bool = false, bufferSize: Int = 512 << 10,
                unknownSizeEstimate: Int64 = 8 << 20, signer: RequestSigner? = nil,
                log: (@Sendable (String) -> Void)? = nil, onBytes: (@Sendable (Int64) -> Void)? = nil,
                pool: ConnectionPool? = nil) {
        self.connections = max(1, connections)
        self.memoryLimit = max(1, memoryLimit)
        self.workers = max(1, workers)
        self.caFile = caFile
        self.retry = retry
        self.stallSeconds = max(1, stallSeconds)
        self.connectTimeout = connectTimeout
        self.http2 = http2
        self.multiplex = multiplex
        self.bufferSize = bufferSize
        self.unknownSizeEstimate = unknownSizeEstimate
        self.signer = signer
        self.log = log
        self.onBytes = onBytes
        self.pool = pool
    }
}
