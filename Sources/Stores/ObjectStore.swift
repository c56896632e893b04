import LocalFS
import SnapshotCore

/// What a store knows about one object.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    /// Seconds since the Unix epoch, when known.
    public var lastModified: Double?

    public init(key: String, size: Int64, etag: String? = nil, lastModified: Double? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// The one storage contract every store implements: `file://`, `https://`, `s3://`.
///
/// Keys are relative, `/`-separated names (`chunks/ab/ab12….zst`). `put` is atomic:
/// a reader sees the whole object or nothing. Missing objects throw `.notFound`.
public protocol ObjectStore: Sendable {
    /// The store's URL with any secret redacted, for logs and errors.
    var displayURL: String { get }
    /// Whether the store accepts writes (plain HTTPS mirrors do not).
    var isWritable: Bool { get }

    func get(_ key: String) async throws -> [UInt8]
    /// Bytes `range` of an object. A range past the end is clamped to the object's size.
    func get(_ key: String, range: Range<Int64>) async throws -> [UInt8]
    /// The object's metadata, or nil if it does not exist. A name that is only a folder — a
    /// prefix of other keys, a directory of a `file://` store, a name an HTTP server redirects to
    /// `NAME/` — is not an object: every store answers nil for it, as S3 does for a prefix.
    func head(_ key: String) async throws -> ObjectInfo?
    func put(_ key: String, bytes: [UInt8]) async throws
    /// Uploads a local file (stores with multipart upload stream it in parts).
    func putFile(_ key: String, path: String) async throws
    /// Every object whose key starts with `prefix`, in key order.
    func list(prefix: String) async throws -> [ObjectInfo]
    /// Calls `body` with every object whose key starts with `prefix`, in no particular order,
    /// without holding the whole listing when the store can (a `file://` store walks its folders).
    func forEachObject(prefix: String, _ body: (ObjectInfo) throws -> Void) async throws
    func delete(_ key: String) async throws
    /// Makes every completed `put` durable (a manifest is written only after this).
    func flush() async throws
    /// One object's URL with any secret redacted, for logs, errors and summaries.
    func displayURL(for key: String) -> String
}

extension ObjectStore {
    public func flush() async throws {}

    public func forEachObject(prefix: String, _ body: (ObjectInfo) throws -> Void) async throws {
        for o in try await list(prefix: prefix) { try body(o) }
    }

    public func displayURL(for key: String) -> String { displayURL + "/" + key }

    public func putFile(_ key: String, path: String) async throws {
        try await put(key, bytes: FS.readFile(path))
    }

    /// Throws a clear error when a write is attempted on a read-only store.
    public func requireWritable() throws {
        guard isWritable else {
            throw ChainsnapError(.invalidArgument, "\(displayURL) is read-only",
                                 hint: "publish to a file:// or s3:// store; https:// stores are for restores")
        }
    }
}

/// Options shared by every store, from flags and the environment.
public struct StoreOptions: Sendable {
    /// S3 endpoint (`https://nyc3.digitaloceanspaces.com`, `http://127.0.0.1:8333`); AWS when nil.
    public var endpoint: String?
    public var region: String?
    /// Force path-style addressing (`endpoint/bucket/key`); virtual-host style otherwise for AWS.
    public var pathStyle: Bool?
    /// A folder of mounted Secret files (`access-key-id`, `secret-access-key`, `session-token`…).
    public var credentialsDir: String?
    /// The AWS shared-credentials profile.
    public var profile: String?
    /// Extra CA bundle for private TLS endpoints.
    public var caFile: String?
    /// Parallel connections for transfers.
    public var connections: Int
    /// Memory budget for buffered data (`--memory-limit`): downloads in flight and bodies
    /// queued for decoding take at most half of it; decoding buffers, connections and the
    /// program itself live in the other half.
    public var memoryLimit: Int64
    /// Offer HTTP/2 over TLS (`--http2`, or `CHAINSNAP_HTTP2=1`).
    public var http2: Bool
    /// Where to report which credential source was used (never the secret itself).
    public var log: (@Sendable (String) -> Void)?

    public init(endpoint: String? = nil, region: String? = nil, pathStyle: Bool? = nil, credentialsDir: String? = nil,
                profile: String? = nil, caFile: String? = nil, connections: Int = 16, memoryLimit: Int64 = 256 << 20,
                http2: Bool = false, log: (@Sendable (String) -> Void)? = nil) {
        self.http2 = http2
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.credentialsDir = credentialsDir
        self.profile = profile
        self.caFile = caFile
        self.connections = connections
        self.memoryLimit = memoryLimit
        self.log = log
    }
}

/// Parsed store locations.
public enum StoreLocation: Sendable, Equatable {
    case file(path: String)
    case s3(bucket: String, prefix: String)
    case http(baseURL: String)

    /// Parses `file:///abs/path`, `s3://bucket/prefix`, `https://host/prefix` (or a bare path, taken as file).
    public init(parsing url: String) throws {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw ChainsnapError(.invalidArgument, "file store URL '\(url)' must hold an absolute path",
                                     hint: "write file:///absolute/path (three slashes)")
            }
            self = .file(path: FS.absolute(path))
        } else if url.hasPrefix("s3://") {
            let rest = url.dropFirst("s3://".count)
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let b = parts.first, !b.isEmpty else {
                throw ChainsnapError(.invalidArgument, "S3 URL '\(url)' has no bucket", hint: "write s3://BUCKET/PREFIX")
            }
            var prefix = parts.count > 1 ? String(parts[1]) : ""
            while prefix.hasSuffix("/") { prefix.removeLast() }
            self = .s3(bucket: String(b), prefix: prefix)
        } else if url.hasPrefix("https://") || url.hasPrefix("http://") {
            var base = url
            while base.hasSuffix("/") { base.removeLast() }
            self = .http(baseURL: base)
        } else if url.hasPrefix("/") {
            self = .file(path: FS.absolute(url))
        } else if url.contains("://") {
            throw ChainsnapError(.invalidArgument, "unsupported store URL '\(url)'",
                                 hint: "use file:///path, s3://bucket/prefix or https://host/prefix")
        } else {
            throw ChainsnapError(.invalidArgument, "store URL '\(url)' is not a URL",
                                 hint: "use file:///path, s3://bucket/prefix or https://host/prefix")
        }
    }
}
