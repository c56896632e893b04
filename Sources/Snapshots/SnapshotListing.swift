import SnapshotCore
import Transfer

/// What `snapshot list` shows: one row per snapshot in a store, newest last. A manifest that
/// cannot be read (corrupt, or a format this version does not know) is a BROKEN row with the
/// reason, and the other snapshots are still listed.
public struct SnapshotListing: Sendable {
    /// One snapshot, or one whose manifest could not be read (`error` set, the rest empty).
    public struct Row: Encodable, Sendable, Equatable {
        public var id: String
        /// Why the manifest could not be read (the other fields are then absent).
        public var error: String? = nil
        public var createdAt: String
        public var bytes: Int64
        public var storedBytes: Int64
        public var newBytes: Int64
        public var files: Int
        public var source: SourceInfo
        public var compression: String
        public var tool: String

        /// The table line: id, created, size, stored, files and the recorded metadata (or BROKEN and the reason, redacted).
        public var tableLine: String {
            if let error { return pad(id, 27) + "BROKEN: " + Redact.text(error).replacingOccurrences(of: "\n", with: " ") }
            var meta: [String] = []
            if let n = source.network { meta.append("network=\(n)") }
            if let c = source.chainId { meta.append("chain-id=\(c)") }
            if let h = source.height { meta.append("height=\(h)") }
            if let b = source.blockHash { meta.append("hash=\(b.prefix(12))…") }
            if let v = source.nodeVersion { meta.append("node=\(v)") }
            for (k, v) in source.labels.sorted(by: { $0.key < $1.key }) { meta.append("\(k)=\(v)") }
            return pad(id, 27) + pad(createdAt, 22) + pad(ByteCount.format(bytes), 12)
                + pad(ByteCount.format(storedBytes), 12) + pad(String(files), 7) + meta.joined(separator: " ")
        }

        /// The row as a JSON line: a broken one carries only its id and the error.
        public var json: JSONRow { JSONRow(self) }
    }

    /// A row as JSON: a broken one carries only its id and the error.
    public struct JSONRow: Encodable, Sendable {
        public var row: Row
        public init(_ row: Row) { self.row = row }
        enum K: String, CodingKey { case id, error }
        public func encode(to encoder: any Encoder) throws {
            guard let error = row.error else { return try row.encode(to: encoder) }
            var c = encoder.container(keyedBy: K.self)
            try c.encode(row.id, forKey: .id)
            try c.encode(error, forKey: .error)
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// Reads every manifest in the catalog. Only a corrupt or unsupported manifest becomes a
    /// BROKEN row; any other error (the store cannot be read) is thrown.
    public static func load(_ catalog: SnapshotCatalog) async throws -> SnapshotListing {
        var rows: [Row] = []
        for id in try await catalog.ids() {
            do {
                // A row needs the totals and the source; the entries are checked, not kept.
                rows.append(Row(id: id, manifest: try await catalog.load(id, entries: .checkOnly)))
            } catch let e as ChainsnapError where e.code == .corrupt || e.code == .unsupportedFormat {
                rows.append(Row(id: id, broken: e))
            }
        }
        return SnapshotListing(rows: rows)
    }

    public var brokenCount: Int { rows.filter { $0.error != nil }.count }

    /// The warning for stderr when some manifests cannot be read (nil when all can).
    public var brokenWarning: String? {
        brokenCount == 0 ? nil
            : "\(brokenCount) snapshot manifest(s) cannot be read (listed as BROKEN); do not restore them, and check the store with 'chainsnap snapshot verify'"
    }

    /// The table's header line.
    public static let header = "ID                         CREATED               SIZE        STORED      FILES  METADATA"

    /// `s` padded with spaces to `n` characters, or followed by one space when it is as long or longer.
    public static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}

extension SnapshotListing.Row {
    /// The row of a readable manifest.
    public init(id: String, manifest m: Manifest) {
        self.init(id: id, error: nil, createdAt: m.createdAt, bytes: m.totals.bytes, storedBytes: m.totals.storedBytes,
                  newBytes: m.totals.newBytes, files: m.totals.files, source: m.source, compression: m.compression, tool: m.tool)
    }

    /// The row of a manifest that cannot be read.
    public init(id: String, broken error: ChainsnapError) {
        self.init(id: id, error: error.message + (error.underlying.map { ": \($0)" } ?? ""), createdAt: "", bytes: 0,
                  storedBytes: 0, newBytes: 0, files: 0, source: SourceInfo(), compression: "", tool: "")
    }
}

private func pad(_ s: String, _ n: Int) -> String { SnapshotListing.pad(s, n) }
