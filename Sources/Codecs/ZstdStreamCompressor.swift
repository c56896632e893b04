internal import CZstd
import SnapshotCore

/// Compresses a text written piece by piece into one standard zstd frame (checksum included, and
/// the content size when it is given up front), holding only zstd's window and the compressed
/// output: the writer of a million-file manifest never holds its JSON whole.
public final class ZstdStreamCompressor {
    private let cctx: OpaquePointer
    private var output: [UInt8] = []
    private let scratch: UnsafeMutableRawPointer
    private let scratchCap = ZSTD_CStreamOutSize()

    /// - Parameter contentSize: the exact number of bytes that will be written, recorded in the
    ///   frame header (zstd fails the frame if a different number arrives); nil leaves it out.
    public init(level: Int, contentSize: Int? = nil) {
        guard let c = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, Int32(level))
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)
        if let contentSize {
            _ = ZSTD_CCtx_setPledgedSrcSize(c, UInt64(contentSize))
            // The most the frame can be, reserved once: a large reservation is mapped lazily, so
            // only the bytes written are resident, and the output never grows by copying itself
            // (at 500,000 chunks a manifest compresses to some 35 MB; doubling held 1.5-2x that).
            output.reserveCapacity(ZSTD_compressBound(contentSize) + 64)
        }
        cctx = c
        scratch = .allocate(byteCount: scratchCap, alignment: 64)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        scratch.deallocate()
    }

    /// Compresses `input` (output is kept until `finish`).
    public func write(_ input: UnsafeRawBufferPointer) throws {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuf.pos < inBuf.size {
            var outBuf = ZSTD_outBuffer(dst: scratch, size: scratchCap, pos: 0)
            _ = try zstdCheck(ZSTD_compressStream2(cctx, &outBuf, &inBuf, ZSTD_e_continue), "stream compress")
            output.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: outBuf.pos))
        }
    }

    /// Ends the frame and returns every compressed byte.
    public func finish() throws -> [UInt8] {
        var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while true {
            var outBuf = ZSTD_outBuffer(dst: scratch, size: scratchCap, pos: 0)
            let left = try zstdCheck(ZSTD_compressStream2(cctx, &outBuf, &empty, ZSTD_e_end), "stream compress")
            output.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: outBuf.pos))
            if left == 0 { break }
        }
        defer { output = [] }
        return output
    }
}
