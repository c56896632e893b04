/// The snapshot manifest: the unit of publication. A snapshot exists once its
/// manifest is written, never before. See `docs/FORMAT.md` for the format.
public struct Manifest: Codable, Sendable, Equatable {
    /// The format name every manifest carries.
    public static let formatName = "chainsnap-snapshot"
    /// The manifest version this build writes and the newest it reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    public var id: String
    /// RFC 3339 UTC creation time, e.g. `2026-11-23T23:28:19Z`.
    public var createdAt: String
    /// The tool that wrote it, e.g. `chainsnap 0.1.0`.
    public var tool: String
    public var source: SourceInfo
    public var chunkSize: Int64
    /// The codec new chunks were written with (`zstd` or `lz4`); each chunk also records its own.
    public var compression: String
    public var chunks: [ChunkInfo]
    /// The tree, sorted by path, in compact form (`EntryTable`).
    public var entries: EntryTable
    public var totals: Totals
    /// Who signed this manifest, when it is signed (absent in unsigned manifests; docs/FORMAT.md, "Signatures").
    public var signing: SigningInfo?

    public init(id: String, createdAt: String, tool: String, source: SourceInfo, chunkSize: Int64,
                compression: String, chunks: [ChunkInfo], entries: EntryTable, totals: Totals) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.id = id
        self.createdAt = createdAt
        self.tool = tool
        self.source = source
        self.chunkSize = chunkSize
        self.compression = compression
        self.chunks = chunks
        self.entries = entries
        self.totals = totals
    }

    /// A manifest of `entries` given as an array (tests, small trees).
    public init(id: String, createdAt: String, tool: String, source: SourceInfo, chunkSize: Int64,
                compression: String, chunks: [ChunkInfo], entries: [Entry], totals: Totals) {
        self.init(id: id, createdAt: createdAt, tool: tool, source: source, chunkSize: chunkSize, compression: compression,
                  chunks: chunks, entries: EntryTable(entries), totals: totals)
    }

    /// Checks the format name and version before anything else is trusted.
    public func checkVersion() throws {
        guard format == Self.formatName else {
            throw ChainsnapError(.unsupportedFormat, "not a chainsnap snapshot manifest (format '\(format)')", object: id)
        }
        guard version >= 1 && version <= Self.currentVersion else {
            throw ChainsnapError(.unsupportedFormat,
                                 "snapshot \(id) uses manifest version \(version); this chainsnap reads up to \(Self.currentVersion)",
                                 hint: "upgrade chainsnap to restore this snapshot")
        }
    }
}

/// Where the data came from.
public struct SourceInfo: Codable, Sendable, Equatable {
    public var network: String?
    public var chainId: String?
    public var height: UInt64?
    public var blockHash: String?
    public var nodeVersion: String?
    public var labels: [String: String]
    public var host: String?
    public var path: String?

    public init(network: String? = nil, chainId: String? = nil, height: UInt64? = nil, blockHash: String? = nil,
                nodeVersion: String? = nil, labels: [String: String] = [:], host: String? = nil, path: String? = nil) {
        self.network = network
        self.chainId = chainId
        self.height = height
        self.blockHash = blockHash
        self.nodeVersion = nodeVersion
        self.labels = labels
        self.host = host
        self.path = path
    }
}

/// One stored chunk: the SHA-256 of its uncompressed bytes, sizes and codec.
public struct ChunkInfo: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var size: Int64
    public var stored: Int64
    public var codec: String

    public init(id: String, size: Int64, stored: Int64, codec: String) {
        self.id = id
        self.size = size
        self.stored = stored
        self.codec = codec
    }

    /// The store key of a chunk: `chunks/ab/abcdef….zst`.
    public static func key(id: String, codec: String) -> String {
        "chunks/\(id.prefix(2))/\(id).\(codec == "lz4" ? "lz4" : "zst")"
    }

    public var key: String { Self.key(id: id, codec: codec) }
}

/// One entry of the tree.
public struct Entry: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case file, dir, symlink }

    /// Relative path with `/` separators; never absolute, never containing `..`.
    public var path: String
    public var type: Kind
    /// Permission bits (including setuid/setgid/sticky), e.g. 0o644.
    public var mode: UInt32
    /// Modification time in nanoseconds since the Unix epoch.
    public var mtimeNs: Int64
    public var size: Int64
    public var target: String?
    public var extents: [Extent]?

    public init(path: String, type: Kind, mode: UInt32, mtimeNs: Int64, size: Int64 = 0,
                target: String? = nil, extents: [Extent]? = nil) {
        self.path = path
        self.type = type
        self.mode = mode
        self.mtimeNs = mtimeNs
        self.size = size
        self.target = target
        self.extents = extents
    }
}

/// A run of a file's bytes: either `length` bytes at `offset` inside chunk `chunk`,
/// or (`chunk == nil`) `length` zero bytes that are not stored at all.
public struct Extent: Codable, Sendable, Equatable {
    public var chunk: String?
    public var offset: Int64
    public var length: Int64

    public init(chunk: String?, offset: Int64, length: Int64) {
        self.chunk = chunk
        self.offset = offset
        self.length = length
    }

    enum CodingKeys: String, CodingKey { case chunk = "c", offset = "o", length = "l" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(chunk, forKey: .chunk)
        if offset != 0 { try c.encode(offset, forKey: .offset) }
        try c.encode(length, forKey: .length)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chunk = try c.decodeIfPresent(String.self, forKey: .chunk)
        offset = try c.decodeIfPresent(Int64.self, forKey: .offset) ?? 0
        length = try c.decode(Int64.self, forKey: .length)
    }
}

/// Counts a person reads in `snapshot list`.
public struct Totals: Codable, Sendable, Equatable {
    public var files: Int
    public var dirs: Int
    public var symlinks: Int
    /// Bytes of file content in the tree (apparent sizes).
    public var bytes: Int64
    /// Bytes of stored chunk data this snapshot references (each chunk once).
    public var storedBytes: Int64
    /// Bytes of chunk data newly written by the run that made this snapshot.
    public var newBytes: Int64

    public init(files: Int = 0, dirs: Int = 0, symlinks: Int = 0, bytes: Int64 = 0, storedBytes: Int64 = 0, newBytes: Int64 = 0) {
        self.files = files
        self.dirs = dirs
        self.symlinks = symlinks
        self.bytes = bytes
        self.storedBytes = storedBytes
        self.newBytes = newBytes
    }
}
