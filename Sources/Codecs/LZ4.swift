internal import CLZ4
import SnapshotCore

@inline(__always)
func lz4Check(_ r: Int, _ what: String) throws -> Int {
    if LZ4F_isError(r) != 0 {
        throw ChainsnapError(.corrupt, "lz4 \(what) failed: \(String(cString: LZ4F_getErrorName(r)))")
    }
    return r
}

/// LZ4 frame format (what `lz4 -d` reads), one frame per buffer.
public enum LZ4Frame {
    /// Compresses a buffer into one LZ4 frame with content size and content checksum.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int = 0) throws -> [UInt8] {
        var prefs = LZ4F_preferences_t()
        prefs.frameInfo.contentSize = UInt64(input.count)
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        prefs.frameInfo.blockSizeID = LZ4F_max4MB
        prefs.compressionLevel = Int32(level)
        let bound = LZ4F_compressFrameBound(input.count, &prefs)
        return try [UInt8](unsafeUninitializedCapacity: bound) { o, count in
            count = 0
            count = try lz4Check(LZ4F_compressFrame(o.baseAddress, bound, input.baseAddress, input.count, &prefs), "compress")
        }
    }
}

/// An LZ4 frame decompression context; works for whole frames and for streams.
public final class LZ4Decompressor {
    private var dctx: OpaquePointer?

    public init() {
        var d: OpaquePointer?
        let r = LZ4F_createDecompressionContext(&d, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(r) == 0, d != nil else { fatalError("LZ4F_createDecompressionContext failed") }
        dctx = d
    }

    /// Stream state: the output block, LZ4's hint after the last call (0 at a frame's end).
    private static let streamBlock = 4 << 20
    private var streamOut: UnsafeMutableRawPointer?
    private var pendingHint = 0
    private var fedAny = false

    deinit {
        LZ4F_freeDecompressionContext(dctx)
        streamOut?.deallocate()
    }

    /// Decompresses one whole frame into `out`, which must hold exactly `expectedSize` bytes.
    public func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        LZ4F_resetDecompressionContext(dctx)
        var produced = 0
        var consumed = 0
        while consumed < input.count {
            var dstSize = out.count - produced
            var srcSize = input.count - consumed
            let r = LZ4F_decompress(dctx, out.baseAddress! + produced, &dstSize, input.baseAddress! + consumed, &srcSize, nil)
            if LZ4F_isError(r) != 0 {
                LZ4F_resetDecompressionContext(dctx)
                throw ChainsnapError(.corrupt, "lz4 frame does not decompress: \(String(cString: LZ4F_getErrorName(r)))")
            }
            produced += dstSize
            consumed += srcSize
            if r == 0 { break }
            if srcSize == 0 && dstSize == 0 {
                throw ChainsnapError(.corrupt, "lz4 frame is larger than its declared size \(expectedSize)")
            }
        }
        guard produced == expectedSize, consumed == input.count else {
            throw ChainsnapError(.corrupt, "lz4 frame decompressed to \(produced) bytes, expected \(expectedSize)")
        }
        return produced
    }

    /// Decompresses a whole frame that must come to exactly `expectedSize` bytes; the size bounds
    /// the output and is never allocated on its word alone (`BoundedDecode`).
    public func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        let out = try input.withUnsafeBytes { try BoundedDecode.lz4($0, limit: expectedSize, what: "lz4 frame") }
        guard out.count == expectedSize else {
            throw ChainsnapError(.corrupt, "lz4 frame decompressed to \(out.count) bytes, expected \(expectedSize)")
        }
        return out
    }

    /// Streaming decompression of an `.lz4` archive: feeds input, calls `sink` with output blocks.
    /// Reads concatenated frames: standard LZ4 frames, skippable frames, and legacy (`lz4 -l`) ones.
    public func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if input.count > 0 { fedAny = true }
        var p = 0
        while p < input.count {
            switch mode {
            case .magic:
                while magicFill < 4 && p < input.count {
                    magic |= UInt32(input[p]) << (8 * UInt32(magicFill))
                    magicFill += 1
                    p += 1
                }
                if magicFill == 4 { try startFrame(sink: sink) }
            case .frame:
                p += try feedFrame(UnsafeRawBufferPointer(rebasing: input[p...]), sink: sink)
            case .legacy:
                if legacy == nil { legacy = LZ4LegacyDecoder() }
                let (used, next) = try legacy!.feed(UnsafeRawBufferPointer(rebasing: input[p...]), sink: sink)
                p += used
                if let next {
                    magic = next
                    magicFill = 4
                    try startFrame(sink: sink)
                }
            }
        }
    }

    private enum Mode { case magic, frame, legacy }
    private var mode = Mode.magic
    private var magic: UInt32 = 0
    private var magicFill = 0
    private var legacy: LZ4LegacyDecoder?

    /// A frame's 4-byte magic number is in `magic`: go on as a legacy or a standard/skippable frame.
    private func startFrame(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let m = magic
        magic = 0
        magicFill = 0
        if m == LZ4LegacyDecoder.magic {
            mode = .legacy
            return
        }
        mode = .frame
        var bytes = m.littleEndian
        let used = try withUnsafeBytes(of: &bytes) { try feedFrame($0, sink: sink) }
        precondition(used == 4 || mode == .magic)
    }

    /// Feeds LZ4F until the input is used or the frame ends (then the next magic is read). Returns bytes taken.
    private func feedFrame(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let cap = Self.streamBlock
        if streamOut == nil { streamOut = .allocate(byteCount: cap, alignment: 64) }
        let out = streamOut!
        var consumed = 0
        while true {
            var dstSize = cap
            var srcSize = input.count - consumed
            let r = LZ4F_decompress(dctx, out, &dstSize, input.baseAddress.map { $0 + consumed }, &srcSize, nil)
            if LZ4F_isError(r) != 0 {
                throw ChainsnapError(.corrupt, "lz4 stream is corrupt: \(String(cString: LZ4F_getErrorName(r)))")
            }
            pendingHint = r
            consumed += srcSize
            if dstSize > 0 { try sink(UnsafeRawBufferPointer(start: out, count: dstSize)) }
            if r == 0 {
                // The frame ended; whatever follows starts with another frame's magic.
                mode = .magic
                return consumed
            }
            // Done when all input is taken and the output was not cut short (nothing left inside).
            if consumed >= input.count && dstSize < cap { return consumed }
        }
    }

    /// Ends a stream: throws when it stopped inside a frame (a truncated download or file).
    public func finish() throws {
        guard fedAny else { throw ChainsnapError(.corrupt, "lz4 stream is empty") }
        switch mode {
        case .magic where magicFill == 0: return
        case .magic: throw ChainsnapError(.corrupt, "lz4 stream ends with \(magicFill) stray bytes after its last frame (truncated)")
        case .legacy where legacy?.atBlockBoundary ?? true: return
        case .legacy: throw ChainsnapError(.corrupt, "legacy lz4 stream ends in the middle of a block (truncated)")
        case .frame:
            if pendingHint != 0 { throw ChainsnapError(.corrupt, "lz4 stream ends in the middle of a frame (truncated)") }
        }
    }
}

/// The chunk codecs chainsnap writes.
public enum ChunkCodec: String, Sendable, CaseIterable {
    case zstd, lz4

    public init(parsing text: String) throws {
        guard let c = ChunkCodec(rawValue: text.lowercased()) else {
            throw ChainsnapError(.invalidArgument, "unknown compression '\(text)'", hint: "use zstd or lz4")
        }
        self = c
    }
}

/// A per-thread pair of contexts so a worker compresses and decompresses without reallocating.
public final class ChunkCodecContext {
    private var zc: ZstdCompressor?
    private let zd = ZstdDecompressor()
    private let ld = LZ4Decompressor()
    public let level: Int

    public init(level: Int = 3) {
        self.level = level
        zd.ignoreFrameChecksum()  // chunks are verified by SHA-256 of their content
    }

    public func compress(_ input: UnsafeRawBufferPointer, codec: ChunkCodec) throws -> [UInt8] {
        switch codec {
        case .zstd:
            if zc == nil { zc = ZstdCompressor(level: level) }
            return try zc!.compress(input)
        case .lz4:
            return try LZ4Frame.compress(input, level: level >= 3 ? 0 : level)
        }
    }

    public func decompress(_ input: UnsafeRawBufferPointer, codec: String, expectedSize: Int,
                           into out: UnsafeMutableRawBufferPointer) throws -> Int {
        switch codec {
        case "zstd": return try zd.decompress(input, expectedSize: expectedSize, into: out)
        case "lz4": return try ld.decompress(input, expectedSize: expectedSize, into: out)
        default: throw ChainsnapError(.unsupportedFormat, "chunk codec '\(codec)' is not supported by this chainsnap")
        }
    }
}
