import Codecs
import LocalFS
import SnapshotCore
import Stores
import Transfer

/// Streams the bytes of an RLP export from a local file or a store URL, gunzipping
/// `.gz` input (detected by its magic bytes) on the fly.
public enum ByteInput {
    /// Size of each read (and of each ranged GET for URLs).
    public static let chunkSize = 8 << 20

    /// Calls `sink` with successive pieces of the (decompressed) stream of `source`.
    /// `source` is a path, `file:///path`, `-` (standard input), or an `https://…/NAME` / `s3://bucket/key` URL.
    /// `afterChunk` runs after each piece read from the source (writers upload finished parts there).
    public static func stream(_ source: String, options: StoreOptions = StoreOptions(),
                              sink: (UnsafeRawBufferPointer) throws -> Void,
                              afterChunk: () async throws -> Void = {}) async throws {
        var gunzip: GzipStreamDecompressor?
        var first = true
        func handle(_ piece: UnsafeRawBufferPointer) throws {
            if first {
                first = false
                if GzipStreamDecompressor.isGzip(piece) { gunzip = GzipStreamDecompressor() }
            }
            if let g = gunzip { try g.feed(piece, sink: sink) } else { try sink(piece) }
        }
        if source == "-" {
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
            defer { buf.deallocate() }
            while true {
                let n = try StandardInput.read(into: buf)
                if n == 0 { break }
                try handle(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
                try await afterChunk()
            }
        } else if source.contains("://") && !source.hasPrefix("file://") {
            let (base, key) = try splitURL(source)
            let store = try openStore(base, options: options)
            guard let info = try await store.head(key) else {
                throw ChainsnapError(.notFound, "\(Redact.url(source)) does not exist", object: Redact.url(source))
            }
            var off: Int64 = 0
            while off < info.size {
                let end = min(off + Int64(chunkSize), info.size)
                let bytes = try await store.get(key, range: off..<end)
                guard !bytes.isEmpty else { break }
                try bytes.withUnsafeBytes { try handle($0) }
                try await afterChunk()
                off += Int64(bytes.count)
            }
        } else {
            let path = source.hasPrefix("file://") ? String(source.dropFirst(7)) : source
            let f = try RawFile(readingAt: path)
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
            defer { buf.deallocate() }
            var off: Int64 = 0
            while true {
                let n = try f.read(into: buf, at: off)
                if n == 0 { break }
                try handle(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
                try await afterChunk()
                off += Int64(n)
            }
        }
        try gunzip?.finish()
    }

    /// `https://host/dir/NAME` → (`https://host/dir`, `NAME`).
    static func splitURL(_ url: String) throws -> (String, String) {
        guard let slash = url.lastIndex(of: "/"), url.index(after: slash) < url.endIndex,
              url[..<slash].contains("://"), !url[..<slash].hasSuffix(":/") else {
            throw ChainsnapError(.invalidArgument, "URL '\(Redact.url(url))' does not name a file",
                                 hint: "give the full URL of the export, e.g. https://host/exports/chain.rlp")
        }
        return (String(url[..<slash]), String(url[url.index(after: slash)...]))
    }

    /// Scans a whole source into a summary (what `rlp inspect` prints).
    public static func inspect(_ source: String, options: StoreOptions = StoreOptions(),
                               onBlock: ((BlockInfo) -> Void)? = nil) async throws -> StreamSummary {
        let scanner = RLPBlockScanner()
        var summary = StreamSummary()
        try await stream(source, options: options) { piece in
            try scanner.feed(piece) { b, _ in
                summary.add(b)
                onBlock?(b)
            }
        }
        try scanner.finish()
        return summary
    }
}
