internal import CZstd
internal import CLZ4
import SnapshotCore

/// Whole-buffer decoding of untrusted compressed bytes with a bound on what it allocates.
///
/// A frame header may declare any content size (a 60-byte zstd frame can claim 2 GiB). These
/// decoders allocate the declared size up front only when it is within both the caller's
/// `limit` and `preallocateLimit`; otherwise they stream-decode and grow the output only as
/// bytes actually come out, failing as soon as the output passes `limit`. zstd's window is
/// capped to the limit as well, so a frame cannot make zstd itself allocate more.
public enum BoundedDecode {
    /// Largest up-front allocation made on a header's word alone.
    public static let defaultPreallocateLimit = 16 << 20

    /// Decompresses a whole zstd input (one or more frames) of at most `limit` output bytes.
    /// - Parameter what: names the input in errors ("manifest of snapshot X").
    public static func zstd(_ input: UnsafeRawBufferPointer, limit: Int, what: String,
                            preallocateLimit: Int = defaultPreallocateLimit) throws -> [UInt8] {
        guard limit >= 0 else { throw ChainsnapError(.corrupt, "\(what) declares a negative size") }
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared < UInt64.max - 1 {  // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest values
            guard declared <= UInt64(limit) else {
                throw ChainsnapError(.corrupt, "\(what) declares \(declared) bytes of content, more than the \(limit) allowed",
                                     hint: "the data is corrupt or hostile; nothing was allocated for it")
            }
            // One frame filling the input, declaring a size small enough to trust: decode it in one call.
            if declared <= UInt64(preallocateLimit), ZSTD_findFrameCompressedSize(input.baseAddress, input.count) == input.count {
                let size = Int(declared)
                let d = ZstdDecompressor()
                return try [UInt8](unsafeUninitializedCapacity: max(size, 1)) { o, n in
                    n = 0
                    n = try d.decompress(input, expectedSize: size, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: o[0..<size])))
                }
            }
        }
        let windowLog = min(ZstdStreamDecompressor.defaultWindowLogMax, max(10, log2Ceiling(limit)))
        let d = ZstdStreamDecompressor(windowLogMax: windowLog)
        var out: [UInt8] = []
        try d.feed(input) { piece in
            guard out.count + piece.count <= limit else {
                throw ChainsnapError(.corrupt, "\(what) decompresses to more than the \(limit) bytes allowed",
                                     hint: "the data is corrupt or hostile; decoding stopped at the limit")
            }
            out.append(contentsOf: piece)
        }
        try d.finish()
        return out
    }

    public static func zstd(_ input: [UInt8], limit: Int, what: String, preallocateLimit: Int = defaultPreallocateLimit) throws -> [UInt8] {
        try input.withUnsafeBytes { try zstd($0, limit: limit, what: what, preallocateLimit: preallocateLimit) }
    }

    /// Decompresses a whole LZ4 frame input of at most `limit` output bytes (streamed: LZ4
    /// allocates at most one 4 MiB block however large the content size field says it is).
    public static func lz4(_ input: UnsafeRawBufferPointer, limit: Int, what: String) throws -> [UInt8] {
        guard limit >= 0 else { throw ChainsnapError(.corrupt, "\(what) declares a negative size") }
        let d = LZ4Decompressor()
        return try collect(limit: limit, what: what, hint: "the data is corrupt or hostile; decoding stopped at the limit",
                           feed: { try d.feed(input, sink: $0) }, finish: d.finish)
    }

    /// Decompresses a whole gzip input (members concatenated) of at most `limit` output bytes.
    public static func gzip(_ input: UnsafeRawBufferPointer, limit: Int, what: String) throws -> [UInt8] {
        let d = GzipStreamDecompressor()
        return try collect(limit: limit, what: what, hint: "the data is corrupt or hostile (a gzip bomb?); decoding stopped at the limit",
                           feed: { try d.feed(input, sink: $0) }, finish: d.finish)
    }

    /// Gathers a stream decoder's output pieces, refusing to hold more than `limit` bytes.
    private static func collect(limit: Int, what: String, hint: String,
                                feed: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
                                finish: () throws -> Void) throws -> [UInt8] {
        var out: [UInt8] = []
        try feed { piece in
            guard out.count + piece.count <= limit else {
                throw ChainsnapError(.corrupt, "\(what) decompresses to more than the \(limit) bytes allowed", hint: hint)
            }
            out.append(contentsOf: piece)
        }
        try finish()
        return out
    }

    /// The smallest n with 2^n >= v (0 for v <= 1).
    static func log2Ceiling(_ v: Int) -> Int {
        guard v > 1 else { return 0 }
        return Int.bitWidth - (v - 1).leadingZeroBitCount
    }
}
