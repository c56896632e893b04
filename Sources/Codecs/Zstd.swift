internal import CZstd
import SnapshotCore

/// Funnels zstd's size_t return codes into `ChainsnapError`.
@inline(__always)
func zstdCheck(_ r: Int, _ what: String) throws -> Int {
    if ZSTD_isError(r) != 0 {
        throw ChainsnapError(.codec, "zstd \(what) failed: \(String(cString: ZSTD_getErrorName(r)))")
    }
    return r
}

/// A zstd compression context. A context that returned an error is discarded,
/// never reused (zstd.h: its state is then undefined).
public final class ZstdCompressor {
    private var cctx: OpaquePointer
    private let level: Int32

    public init(level: Int = 3, workers: Int = 0) {
        guard let c = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
        cctx = c
        self.level = Int32(level)
        configure(workers: workers)
    }

    private func configure(workers: Int) {
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        if workers > 0 { _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, Int32(workers)) }
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// Compresses one buffer into a single standard zstd frame (content size and checksum included).
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        do {
            // Uninitialized output: zeroing a compress bound's worth of memory per chunk is measurable.
            return try [UInt8](unsafeUninitializedCapacity: bound) { o, count in
                count = 0
                count = try zstdCheck(ZSTD_compress2(cctx, o.baseAddress, bound, input.baseAddress, input.count), "compress")
            }
        } catch {
            ZSTD_freeCCtx(cctx)
            cctx = ZSTD_createCCtx()!
            configure(workers: 0)
            throw error
        }
    }
}

/// A zstd decompression context.
public final class ZstdDecompressor {
    private var dctx: OpaquePointer

    public init() {
        guard let d = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
        dctx = d
    }

    /// Skips the frame's XXH64 check: for callers that verify a SHA-256 of the output anyway.
    public func ignoreFrameChecksum() {
        _ = ZSTD_DCtx_setParameter(dctx, ZSTD_d_experimentalParam3, 1)  // ZSTD_d_forceIgnoreChecksum
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// Decompresses one whole frame whose decompressed size must be exactly `expectedSize`.
    public func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        precondition(out.count >= expectedSize)
        let n = ZSTD_decompressDCtx(dctx, out.baseAddress, expectedSize, input.baseAddress, input.count)
        if ZSTD_isError(n) != 0 {
            let name = String(cString: ZSTD_getErrorName(n))
            ZSTD_freeDCtx(dctx)
            dctx = ZSTD_createDCtx()!
            throw ChainsnapError(.corrupt, "zstd frame does not decompress: \(name)")
        }
        guard n == expectedSize else {
            throw ChainsnapError(.corrupt, "zstd frame decompressed to \(n) bytes, expected \(expectedSize)")
        }
        return n
    }

    public func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        _ = try input.withUnsafeBytes { i in
            try out.withUnsafeMutableBytes { o in try decompress(i, expectedSize: expectedSize, into: o) }
        }
        return out
    }

    /// The content size a frame header declares, if any.
    public static func frameContentSize(_ input: UnsafeRawBufferPointer) -> Int? {
        let s = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest values of unsigned long long.
        if s >= UInt64.max - 1 { return nil }
        return Int(s)
    }
}

/// Streaming zstd decompression for archives (`.tar.zst`) of unknown size.
public final class ZstdStreamDecompressor {
    private var dctx: OpaquePointer

    public init() {
        guard let d = ZSTD_createDStream() else { fatalError("ZSTD_createDStream: out of memory") }
        dctx = d
        _ = ZSTD_initDStream(dctx)
    }

    deinit { ZSTD_freeDStream(dctx) }

    /// Feeds `input`, calling `sink` with each block of decompressed output.
    public func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let outCap = ZSTD_DStreamOutSize()
        let out = UnsafeMutableRawPointer.allocate(byteCount: outCap, alignment: 16)
        defer { out.deallocate() }
        while inBuf.pos < inBuf.size {
            var outBuf = ZSTD_outBuffer(dst: out, size: outCap, pos: 0)
            let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
            if ZSTD_isError(r) != 0 {
                throw ChainsnapError(.corrupt, "zstd stream is corrupt: \(String(cString: ZSTD_getErrorName(r)))")
            }
            if outBuf.pos > 0 { try sink(UnsafeRawBufferPointer(start: out, count: outBuf.pos)) }
        }
        // Drain anything still buffered inside the decoder.
        while true {
            var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            var outBuf = ZSTD_outBuffer(dst: out, size: outCap, pos: 0)
            let r = ZSTD_decompressStream(dctx, &outBuf, &empty)
            if ZSTD_isError(r) != 0 {
                throw ChainsnapError(.corrupt, "zstd stream is corrupt: \(String(cString: ZSTD_getErrorName(r)))")
            }
            if outBuf.pos > 0 { try sink(UnsafeRawBufferPointer(start: out, count: outBuf.pos)) }
            if outBuf.pos < outCap { break }
        }
    }
}
