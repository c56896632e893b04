import Codecs
import SnapshotCore

/// The archive formats public snapshot providers publish.
public enum ArchiveFormat: String, Sendable, CaseIterable, Codable {
    case tarZstd = "tar.zst"
    case tarLZ4 = "tar.lz4"
    case tarGzip = "tar.gz"
    case tar = "tar"

    /// File-name endings for each format (lowercase).
    static let suffixes: [(String, ArchiveFormat)] = [
        (".tar.zst", .tarZstd), (".tar.zstd", .tarZstd), (".tzst", .tarZstd),
        (".tar.lz4", .tarLZ4),
        (".tar.gz", .tarGzip), (".tgz", .tarGzip),
        (".tar", .tar),
    ]

    /// The format a file name (or URL, query string ignored) names by its extension.
    public static func fromName(_ name: String) -> ArchiveFormat? {
        var n = Substring(name)
        if let q = n.firstIndex(where: { $0 == "?" || $0 == "#" }) { n = n[..<q] }
        let lower = n.lowercased()
        return suffixes.first { lower.hasSuffix($0.0) }?.1
    }

    /// The format the first bytes of a stream show: compression magic numbers, or `ustar` at
    /// offset 257 for plain tar. Nil when unrecognised (or too few bytes to tell).
    public static func sniff(_ prefix: UnsafeRawBufferPointer) -> ArchiveFormat? {
        let b = prefix
        if b.count >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD { return .tarZstd }
        // Skippable zstd frames (0x184D2A5?) start pzstd output.
        if b.count >= 4 && b[0] & 0xF0 == 0x50 && b[1] == 0x2A && b[2] == 0x4D && b[3] == 0x18 { return .tarZstd }
        if b.count >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4D && b[3] == 0x18 { return .tarLZ4 }
        // Legacy lz4 frames (`lz4 -l`, magic 0x184C2102).
        if b.count >= 4 && b[0] == 0x02 && b[1] == 0x21 && b[2] == 0x4C && b[3] == 0x18 { return .tarLZ4 }
        if b.count >= 2 && b[0] == 0x1F && b[1] == 0x8B { return .tarGzip }
        if b.count >= 262 && b[257] == 0x75 && b[258] == 0x73 && b[259] == 0x74 && b[260] == 0x61 && b[261] == 0x72 {
            return .tar
        }
        return nil
    }

    /// The uncompressed size the stream's first frame header declares, when it does: zstd frames
    /// written by `zstd FILE` carry it; lz4 frames do with `--content-size`; plain tar is its own size.
    /// (A stream of several frames declares only the first frame's size: treat it as a hint.)
    public static func declaredContentSize(_ prefix: UnsafeRawBufferPointer, format: ArchiveFormat) -> Int64? {
        switch format {
        case .tarZstd:
            guard prefix.count >= 18 else { return nil }
            return ZstdDecompressor.frameContentSize(prefix).map(Int64.init)
        case .tarLZ4:
            // Magic (4), FLG, BD, [content size, 8 bytes little-endian when FLG bit 3 is set].
            // Only standard frames have that header: legacy ones (`lz4 -l`) declare nothing.
            guard prefix.count >= 14, prefix[0] == 0x04, prefix[1] == 0x22, prefix[2] == 0x4D, prefix[3] == 0x18,
                  prefix[4] & 0x08 != 0 else { return nil }
            var v: UInt64 = 0
            for i in (6..<14).reversed() { v = v << 8 | UInt64(prefix[i]) }
            return v > UInt64(Int64.max) ? nil : Int64(v)
        default:
            return nil
        }
    }

    /// What the compression is called, for messages.
    public var compressionName: String {
        switch self {
        case .tarZstd: return "zstd"
        case .tarLZ4: return "lz4"
        case .tarGzip: return "gzip"
        case .tar: return "none"
        }
    }

    /// How much larger than the archive the extracted tree is assumed to be, for the free-space
    /// check when the archive does not say: compressed node data typically expands 2-3x.
    public var assumedExpansion: Double { self == .tar ? 1.0 : 3.0 }
}

/// Streams compressed archive bytes into tar bytes.
final class ArchiveDecoder {
    private enum Impl {
        case zstd(ZstdStreamDecompressor)
        case lz4(LZ4Decompressor)
        case gzip(GzipStreamDecompressor)
        case plain
    }

    let format: ArchiveFormat
    private let impl: Impl

    /// - Parameter windowLogMax: the largest zstd window accepted (see `zstdWindowLogMax(memoryLimit:)`).
    init(format: ArchiveFormat, windowLogMax: Int = ZstdStreamDecompressor.defaultWindowLogMax) {
        self.format = format
        switch format {
        case .tarZstd: impl = .zstd(ZstdStreamDecompressor(windowLogMax: windowLogMax))
        case .tarLZ4: impl = .lz4(LZ4Decompressor())
        case .tarGzip: impl = .gzip(GzipStreamDecompressor())
        case .tar: impl = .plain
        }
    }

    /// Feeds compressed bytes; `sink` receives decompressed tar bytes.
    func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch impl {
        case .zstd(let d): try d.feed(input, sink: sink)
        case .lz4(let d): try d.feed(input, sink: sink)
        case .gzip(let d): try d.feed(input, sink: sink)
        case .plain: try sink(input)
        }
    }

    /// Ends the stream; throws when the compressed stream stops mid-frame (where the codec can tell).
    func finish() throws {
        switch impl {
        case .zstd(let d): try d.finish()
        case .lz4(let d): try d.finish()
        case .gzip(let d): try d.finish()
        case .plain: break
        }
    }
}

/// The largest zstd window (log2) a restore with `memoryLimit` accepts: zstd's default of
/// 128 MiB, or up to half the memory limit when that is larger (`zstd --long=31` archives
/// need a 2 GiB window, so `--memory-limit 4GiB`).
func zstdWindowLogMax(memoryLimit: Int64) -> Int {
    var log = ZstdStreamDecompressor.defaultWindowLogMax
    while log < 31 && (Int64(1) << (log + 1)) <= memoryLimit / 2 { log += 1 }
    return log
}
