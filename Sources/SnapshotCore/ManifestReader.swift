/// Reads a manifest's JSON (docs/FORMAT.md, "Manifest") straight into `Manifest`, a block at a
/// time, without a JSON tree or a copy of the document.
///
/// Foundation's decoder holds the text, a map of every token and the decoded values at once
/// (about 1.8 KB per file at its peak). This reader holds one block of text, and every extent
/// shares the `String` of its chunk id with the chunk table (a 64-digit id is a 112-byte heap
/// string; packed files name the same few chunks), found by binary search in a sorted index
/// of the table's digests (40 bytes a chunk, where a dictionary of them took 48–96). Unknown
/// keys are skipped, so optional fields added later still read. Errors name the field
/// (`entries[3].mode: -1 is not …`).
public enum ManifestReader {
    public typealias Failure = JSONPull.Failure

    /// What the reader does with the entries it reads.
    public enum Entries {
        /// All are kept in `Manifest.entries`.
        case keep
        /// The list is checked as JSON and skipped (`Manifest.entries` is empty): for commands that
        /// need only the chunk table, in memory that does not grow with the file count.
        case skip
        /// Each entry is given to the closure as it is read, with the chunk table when the text listed
        /// it first (as `ManifestWriter` does), and kept only when the closure returns true. What the
        /// closure throws comes out of `read` as a `Visited` error.
        case each((Entry, [ChunkInfo]?) throws -> Bool)

        /// Every entry is read and its fields checked (a bad one fails the read, as with `.keep`),
        /// and none is kept: for readers of the summary (`snapshot list`, the exporter), in memory
        /// that does not grow with the file count.
        public static var checkOnly: Entries { .each { _, _ in false } }
    }

    /// An error thrown by the closure of `Entries.each`, passed through unchanged.
    public struct Visited: Error { public var underlying: any Error }

    /// Reads a whole manifest from `next` (blocks of its JSON, nil at the end).
    public static func read(next: @escaping () throws -> [UInt8]?, entries: Entries = .keep) throws -> Manifest {
        var r = State(json: JSONPull(next: next))
        r.entries = entries
        let m = try r.manifest()
        try r.json.end()
        return m
    }

    /// Reads only the top-level `format` and `version` (everything else skipped), so a reader
    /// that failed on a newer manifest can say so.
    public static func head(next: @escaping () throws -> [UInt8]?) throws -> (format: String?, version: Int?) {
        var r = State(json: JSONPull(next: next))
        var format: String?, version: Int?
        var seen: UInt64 = 0
        try r.json.beginObject()
        while try r.json.nextKey(into: &r.key) {
            switch r.keyName {
            case "format": try r.once(&seen, 0, "format"); format = try r.string("format")
            case "version": try r.once(&seen, 1, "version"); version = try r.int("version")
            default: try r.json.skipValue()
            }
        }
        return (format, version)
    }

    struct State {
        var json: JSONPull
        var key: [UInt8] = []
        var scratch: [UInt8] = []
        /// The chunk table, once read: extents share its id strings.
        var table: [ChunkInfo]?
        /// The table's ids sorted, with each one's index in the table; built at the first extent.
        var tableIndex: ChunkTableIndex?
        /// Extent ids the table does not list (or all, when entries come before the table), so
        /// equal ones share one `String`.
        var others: [ChunkDigest: String] = [:]
        var entries: Entries = .keep

        init(json: JSONPull) { self.json = json }

        var keyName: String { String(decoding: key, as: UTF8.self) }

        mutating func string(_ field: @autoclosure () -> String) throws -> String {
            do { return try json.readString(&scratch) } catch let f as Failure { throw Failure("\(field()): \(f.message)") }
        }

        mutating func optionalString(_ field: @autoclosure () -> String) throws -> String? {
            try json.readNull() ? nil : try string(field())
        }

        /// An integer of type `T`; anything else names the field and the range.
        mutating func integer<T: FixedWidthInteger>(_ field: @autoclosure () -> String, _ type: T.Type, range: String) throws -> T {
            let text: String
            do { text = try json.readNumberText() } catch let f as Failure { throw Failure("\(field()): \(f.message)") }
            guard let v = T(text) else { throw Failure("\(field()): \(text) is not \(range)") }
            return v
        }

        mutating func int64(_ field: @autoclosure () -> String) throws -> Int64 {
            try integer(field(), Int64.self, range: "an integer within ±9223372036854775807")
        }

        mutating func int(_ field: @autoclosure () -> String) throws -> Int {
            Int(try int64(field()))
        }

        /// Refuses a key given twice in one object (decoders disagree on which value wins).
        func once(_ seen: inout UInt64, _ bit: Int, _ name: String) throws {
            guard seen & (1 << UInt64(bit)) == 0 else { throw Failure("'\(name)' appears twice in one object at byte \(json.offset)") }
            seen |= 1 << UInt64(bit)
        }

        mutating func required<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else { throw Failure("\(field) is missing") }
            return value
        }

        /// A chunk id of the table (at most 256 bytes of UTF-8).
        mutating func tableChunkID(_ field: @autoclosure () -> String) throws -> String {
            do { try json.readString(into: &scratch, limit: 256) } catch let f as Failure { throw Failure("\(field()): \(f.message)") }
            guard let s = String(validating: scratch, as: UTF8.self) else { throw Failure("\(field()): a string that is not UTF-8") }
            return s
        }

        /// The chunk id of an extent, as the table's shared `String` when the table lists it (a
        /// new one when the id is not 64 hex digits).
        mutating func extentChunkID(_ field: @autoclosure () -> String) throws -> String {
            do { try json.readString(into: &scratch, limit: 256) } catch let f as Failure { throw Failure("\(field()): \(f.message)") }
            guard let d = ChunkDigest(hex: scratch) else {
                guard let s = String(validating: scratch, as: UTF8.self) else { throw Failure("\(field()): a string that is not UTF-8") }
                return s
            }
            if let table {
                if tableIndex == nil { tableIndex = ChunkTableIndex(table) }
                if let i = tableIndex!.index(of: d) { return table[i].id }
            }
            if let s = others[d] { return s }
            let s = String(decoding: scratch, as: UTF8.self)
            others[d] = s
            return s
        }

        mutating func manifest() throws -> Manifest {
            var format: String?, version: Int?, id: String?, createdAt: String?, tool: String?, source: SourceInfo?
            var chunkSize: Int64?, compression: String?, chunks: [ChunkInfo]?, entries: EntryTable?, totals: Totals?
            var signing: SigningInfo?
            var seen: UInt64 = 0
            try json.beginObject()
            while try json.nextKey(into: &key) {
                switch keyName {
                case "format": try once(&seen, 0, "format");
                    format = try string("format")
                    if format != Manifest.formatName { throw Failure("format: '\(format!)' is not \(Manifest.formatName)") }
                case "version": try once(&seen, 1, "version");
                    version = try int("version")
                    // Newer manifests may be shaped differently: stop here with the reason.
                    if version! > Manifest.currentVersion { throw Failure("version: \(version!) is newer than \(Manifest.currentVersion)") }
                case "id": try once(&seen, 2, "id"); id = try string("id")
                case "createdAt": try once(&seen, 3, "createdAt"); createdAt = try string("createdAt")
                case "tool": try once(&seen, 4, "tool"); tool = try string("tool")
                case "source": try once(&seen, 5, "source"); source = try sourceInfo()
                case "chunkSize": try once(&seen, 6, "chunkSize"); chunkSize = try int64("chunkSize")
                case "compression": try once(&seen, 7, "compression"); compression = try string("compression")
                case "chunks": try once(&seen, 8, "chunks"); chunks = try chunkTable(); table = chunks
                case "entries": try once(&seen, 9, "entries")
                    if case .skip = self.entries { try json.skipValue(); entries = EntryTable() } else { entries = try entryList(chunks) }
                case "totals": try once(&seen, 10, "totals"); totals = try totalsObject()
                case "signing": try once(&seen, 11, "signing"); signing = try json.readNull() ? nil : try signingInfo()
                default: try json.skipValue()
                }
            }
            var m = Manifest(id: try required(id, "id"), createdAt: try required(createdAt, "createdAt"), tool: try required(tool, "tool"),
                             source: try required(source, "source"), chunkSize: try required(chunkSize, "chunkSize"),
                             compression: try required(compression, "compression"), chunks: try required(chunks, "chunks"),
                             entries: try required(entries, "entries"), totals: try required(totals, "totals"))
            m.format = try required(format, "format")
            m.version = try required(version, "version")
            m.signing = signing
            return m
        }

        mutating func sourceInfo() throws -> SourceInfo {
            var s = SourceInfo()
            var labels: [String: String]?
            var seen: UInt64 = 0
            try json.beginObject()
            while try json.nextKey(into: &key) {
                switch keyName {
                case "network": try once(&seen, 0, "network"); s.network = try optionalString("source.network")
                case "chainId": try once(&seen, 1, "chainId"); s.chainId = try optionalString("source.chainId")
                case "height": try once(&seen, 2, "height");
                    s.height = try json.readNull() ? nil : try integer("source.height", UInt64.self, range: "an integer 0…18446744073709551615")
                case "blockHash": try once(&seen, 3, "blockHash"); s.blockHash = try optionalString("source.blockHash")
                case "nodeVersion": try once(&seen, 4, "nodeVersion"); s.nodeVersion = try optionalString("source.nodeVersion")
                case "host": try once(&seen, 5, "host"); s.host = try optionalString("source.host")
                case "path": try once(&seen, 6, "path"); s.path = try optionalString("source.path")
                case "labels": try once(&seen, 7, "labels");
                    var l: [String: String] = [:]
                    try json.beginObject()
                    while try json.nextKey(into: &key) {
                        guard l.count < 4096 else { throw Failure("source.labels: more than 4096 labels") }
                        guard let name = String(validating: key, as: UTF8.self) else { throw Failure("source.labels: a name that is not UTF-8") }
                        guard l[name] == nil else { throw Failure("source.labels: '\(name)' appears twice") }
                        l[name] = try string("source.labels.\(name)")
                    }
                    labels = l
                default: try json.skipValue()
                }
            }
            s.labels = try required(labels, "source.labels")
            return s
        }

        mutating func chunkTable() throws -> [ChunkInfo] {
            var out: [ChunkInfo] = []
            try json.beginArray()
            while try json.nextElement() {
                let i = out.count
                var id: String?, size: Int64?, stored: Int64?, codec: String?
                var seen: UInt64 = 0
                try json.beginObject()
                while try json.nextKey(into: &key) {
                    switch keyName {
                    case "id": try once(&seen, 0, "id"); id = try tableChunkID("chunks[\(i)].id")
                    case "size": try once(&seen, 1, "size"); size = try int64("chunks[\(i)].size")
                    case "stored": try once(&seen, 2, "stored"); stored = try int64("chunks[\(i)].stored")
                    case "codec": try once(&seen, 3, "codec"); codec = try string("chunks[\(i)].codec")
                    default: try json.skipValue()
                    }
                }
                out.append(ChunkInfo(id: try required(id, "chunks[\(i)].id"), size: try required(size, "chunks[\(i)].size"),
                                     stored: try required(stored, "chunks[\(i)].stored"), codec: try required(codec, "chunks[\(i)].codec")))
            }
            return out
        }

        /// The entries, straight into the compact table (each `Entry` is only a passing value).
        mutating func entryList(_ chunks: [ChunkInfo]?) throws -> EntryTable {
            var out = EntryTable()
            var i = 0
            try json.beginArray()
            while try json.nextElement() {
                let e = try entry(i)
                i += 1
                if case .each(let visit) = entries {
                    let keep: Bool
                    do { keep = try visit(e, chunks) } catch { throw Visited(underlying: error) }
                    if !keep { continue }
                }
                out.append(e)
            }
            return out
        }

        mutating func entry(_ i: Int) throws -> Entry {
            var path: String?, type: Entry.Kind?, mode: UInt32?, mtime: Int64?, size: Int64?
            var target: String?, extents: [Extent]?
            var seen: UInt64 = 0
            try json.beginObject()
            while try json.nextKey(into: &key) {
                switch keyName {
                case "path": try once(&seen, 0, "path"); path = try string("entries[\(i)].path")
                case "type": try once(&seen, 1, "type");
                    let t = try string("entries[\(i)].type")
                    guard let k = Entry.Kind(rawValue: t) else { throw Failure("entries[\(i)].type: '\(t)' is not file, dir or symlink") }
                    type = k
                case "mode": try once(&seen, 2, "mode"); mode = try integer("entries[\(i)].mode", UInt32.self, range: "an integer 0…4294967295")
                case "mtimeNs": try once(&seen, 3, "mtimeNs"); mtime = try int64("entries[\(i)].mtimeNs")
                case "size": try once(&seen, 4, "size"); size = try int64("entries[\(i)].size")
                case "target": try once(&seen, 5, "target"); target = try optionalString("entries[\(i)].target")
                case "extents": try once(&seen, 6, "extents"); extents = try json.readNull() ? nil : try extentList(i)
                default: try json.skipValue()
                }
            }
            return Entry(path: try required(path, "entries[\(i)].path"), type: try required(type, "entries[\(i)].type"),
                         mode: try required(mode, "entries[\(i)].mode"), mtimeNs: try required(mtime, "entries[\(i)].mtimeNs"),
                         size: try required(size, "entries[\(i)].size"), target: target, extents: extents)
        }

        mutating func extentList(_ i: Int) throws -> [Extent] {
            var out: [Extent] = []
            try json.beginArray()
            while try json.nextElement() {
                let j = out.count
                var chunk: String?, offset: Int64 = 0, length: Int64?
                var seen: UInt64 = 0
                try json.beginObject()
                while try json.nextKey(into: &key) {
                    switch keyName {
                    case "c": try once(&seen, 0, "c"); chunk = try json.readNull() ? nil : try extentChunkID("entries[\(i)].extents[\(j)].c")
                    case "o": try once(&seen, 1, "o"); offset = try json.readNull() ? 0 : try int64("entries[\(i)].extents[\(j)].o")
                    case "l": try once(&seen, 2, "l"); length = try int64("entries[\(i)].extents[\(j)].l")
                    default: try json.skipValue()
                    }
                }
                out.append(Extent(chunk: chunk, offset: offset, length: try required(length, "entries[\(i)].extents[\(j)].l")))
            }
            return out
        }

        mutating func totalsObject() throws -> Totals {
            var t = Totals()
            var seen: UInt64 = 0
            try json.beginObject()
            while try json.nextKey(into: &key) {
                switch keyName {
                case "files": try once(&seen, 0, "files"); t.files = try int("totals.files")
                case "dirs": try once(&seen, 1, "dirs"); t.dirs = try int("totals.dirs")
                case "symlinks": try once(&seen, 2, "symlinks"); t.symlinks = try int("totals.symlinks")
                case "bytes": try once(&seen, 3, "bytes"); t.bytes = try int64("totals.bytes")
                case "storedBytes": try once(&seen, 4, "storedBytes"); t.storedBytes = try int64("totals.storedBytes")
                case "newBytes": try once(&seen, 5, "newBytes"); t.newBytes = try int64("totals.newBytes")
                default: try json.skipValue()
                }
            }
            guard seen == 63 else { throw Failure("totals: a count is missing") }
            return t
        }

        mutating func signingInfo() throws -> SigningInfo {
            var algorithm: String?, keyId: String?
            var seen: UInt64 = 0
            try json.beginObject()
            while try json.nextKey(into: &key) {
                switch keyName {
                case "algorithm": try once(&seen, 0, "algorithm"); algorithm = try string("signing.algorithm")
                case "keyId": try once(&seen, 1, "keyId"); keyId = try string("signing.keyId")
                default: try json.skipValue()
                }
            }
            return SigningInfo(algorithm: try required(algorithm, "signing.algorithm"), keyId: try required(keyId, "signing.keyId"))
        }
    }
}
