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

    /// Decompresses a whole input that must come to exactly `expectedSize` bytes. The size is the
    /// caller's word (often a manifest's, so untrusted): it bounds the output, and is allocated up
    /// front only when small (`BoundedDecode`); a frame declaring more fails without allocating it.
    public func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        let out = try BoundedDecode.zstd(input, limit: expectedSize, what: "zstd frame")
        guard out.count == expectedSize else {
            throw ChainsnapError(.corrupt, "zstd frame decompressed to \(out.count) bytes, expected \(expectedSize)")
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
///
/// The window a frame may ask for is capped (`windowLogMax`): a stream made with
/// `zstd --long=31` needs a 2 GiB window, which is refused unless the caller allows it.
public final class ZstdStreamDecompressor {
    private var dctx: OpaquePointer
    private let out: UnsafeMutableRawPointer
    private let outCap = ZSTD_DStreamOutSize()
    /// zstd's hint after the last call: 0 when a frame ended exactly there.
    private var pendingHint = 0
    private var fedAny = false

    /// The largest window zstd accepts by default (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 128 MiB).
    public static let defaultWindowLogMax = 27

    /// - Parameter windowLogMax: log2 of the largest window a frame may use (10...31).
    public init(windowLogMax: Int = ZstdStreamDecompressor.defaultWindowLogMax) {
        guard let d = ZSTD_createDStream() else { fatalError("ZSTD_createDStream: out of memory") }
        dctx = d
        _ = ZSTD_initDStream(dctx)
        _ = ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, Int32(min(max(windowLogMax, 10), 31)))
        out = .allocate(byteCount: outCap, alignment: 64)
    }

    deinit {
        ZSTD_freeDStream(dctx)
        out.deallocate()
    }

    /// The window size the zstd frame header at the start of `input` declares (RFC 8878
    /// §3.1.1.1.2), or nil when `input` does not start with a zstd frame that has one.
    public static func frameWindowSize(_ input: UnsafeRawBufferPointer) -> UInt64? {
        guard input.count >= 6, input.loadUnaligned(as: UInt32.self).littleEndian == 0xFD2F_B528 else { return nil }
        let descriptor = input[4]
        guard descriptor & 0x20 == 0 else { return nil }  // single segment: window = content size
        let wd = input[5]
        let base = UInt64(1) << (10 + UInt64(wd >> 3))
        return base + (base / 8) * UInt64(wd & 7)
    }

    /// Feeds `input`, calling `sink` with each block of decompressed output.
    public func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if input.count > 0 { fedAny = true }
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuf.pos < inBuf.size {
            var outBuf = ZSTD_outBuffer(dst: out, size: outCap, pos: 0)
            let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
            if ZSTD_isError(r) != 0 {
                throw ChainsnapError(.corrupt, "zstd stream is corrupt: \(String(cString: ZSTD_getErrorName(r)))")
            }
            pendingHint = r
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
            // A call that made no progress only says what the next frame would need.
            if outBuf.pos > 0 {
                pendingHint = r
                try sink(UnsafeRawBufferPointer(start: out, count: outBuf.pos))
            }
            if outBuf.pos < outCap { break }
        }
    }

    /// Ends the stream: throws when it stopped inside a frame (a truncated download or file).
    public func finish() throws {
        guard fedAny else { throw ChainsnapError(.corrupt, "zstd stream is empty") }
        if pendingHint != 0 {
            throw ChainsnapError(.corrupt, "zstd stream ends in the middle of a frame (truncated)")
        }
    }
}
