internal import CZstd
import SnapshotCore

/// Decompresses untrusted zstd input one output block at a time, on demand (a pull stream for
/// parsers that must not hold the whole decompressed text, such as a million-file manifest).
///
/// Each `next()` makes one `ZSTD_decompressStream` call into a fixed 128 KiB buffer, so the
/// memory held is one block and zstd's window, whatever the frame declares: a declared content
/// size over `limit` is refused before anything is decoded, the window is capped to `limit`,
/// and output past `limit` stops the stream (like `BoundedDecode.zstd`).
public final class ZstdBlockReader {
    /// The compressed input: one array, or blocks pulled as they are needed.
    private var input: [UInt8] = []
    private var inPos = 0
    private let more: (() throws -> [UInt8]?)?
    private var inputEnded: Bool
    private let dctx: OpaquePointer
    private let limit: Int
    private let what: String
    private var produced = 0
    private var hint = 1
    private var done = false
    private var sawInput = false

    /// - Parameter what: names the input in errors ("the manifest").
    public convenience init(_ input: [UInt8], limit: Int, what: String) throws {
        try self.init(first: input, more: nil, limit: limit, what: what)
    }

    /// Decompresses compressed blocks pulled from `input` (nil at its end) as output is asked
    /// for, so the compressed text is not held whole either (a manifest spooled to a file).
    public convenience init(pulling input: @escaping () throws -> [UInt8]?, limit: Int, what: String) throws {
        // Enough for the largest frame header (18 bytes), however the input is cut, so its declared
        // size is checked before anything is decoded.
        var first: [UInt8] = []
        while first.count < 18, let block = try input() { first += block }
        try self.init(first: first, more: input, limit: limit, what: what)
    }

    private init(first: [UInt8], more: (() throws -> [UInt8]?)?, limit: Int, what: String) throws {
        // The frame header is in `first` (18 bytes or more hold it whole; a shorter input reads as
        // "unknown size", which the output limit still bounds).
        let declared = first.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared < UInt64.max - 1, declared > UInt64(max(0, limit)) {  // the two largest values mean unknown / error
            throw ChainsnapError(.corrupt, "\(what) declares \(declared) bytes of content, more than the \(limit) allowed",
                                 hint: "the data is corrupt or hostile; nothing was allocated for it")
        }
        guard let d = ZSTD_createDStream() else { fatalError("ZSTD_createDStream: out of memory") }
        _ = ZSTD_initDStream(d)
        let windowLog = min(ZstdStreamDecompressor.defaultWindowLogMax, max(10, BoundedDecode.log2Ceiling(limit)))
        _ = ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, Int32(windowLog))
        self.dctx = d
        self.input = first
        self.sawInput = !first.isEmpty
        self.more = more
        self.inputEnded = more == nil
        self.limit = limit
        self.what = what
    }

    deinit { ZSTD_freeDStream(dctx) }

    /// The next block of decompressed bytes, nil once the input ends (after checking that it
    /// did not stop inside a frame).
    public func next() throws -> [UInt8]? {
        guard !done else { return nil }
        let cap = 128 << 10
        while true {
            if inPos >= input.count && !inputEnded {
                if let block = try more?() { input = block; inPos = 0; sawInput = sawInput || !block.isEmpty; continue }
                inputEnded = true
                input = []
                inPos = 0
            }
            if !sawInput { throw ChainsnapError(.corrupt, "\(what) is empty") }
            var made = 0
            let out = try [UInt8](unsafeUninitializedCapacity: cap) { buf, n in
                n = 0
                try input.withUnsafeBytes { src in
                    var inBuf = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: inPos)
                    var outBuf = ZSTD_outBuffer(dst: buf.baseAddress, size: cap, pos: 0)
                    let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                    if ZSTD_isError(r) != 0 {
                        throw ChainsnapError(.corrupt, "\(what) is not a valid zstd stream: \(String(cString: ZSTD_getErrorName(r)))")
                    }
                    let progressed = inBuf.pos > inPos || outBuf.pos > 0
                    inPos = inBuf.pos
                    if progressed { hint = r }
                    n = outBuf.pos
                    made = outBuf.pos
                }
            }
            if made > 0 {
                produced += made
                guard produced <= limit else {
                    throw ChainsnapError(.corrupt, "\(what) decompresses to more than the \(limit) bytes allowed",
                                         hint: "the data is corrupt or hostile; decoding stopped at the limit")
                }
                return out
            }
            // No output: either everything is consumed (end, or a truncated frame), or zstd needs more input.
            if inPos >= input.count {
                if !inputEnded { continue }
                done = true
                if hint != 0 { throw ChainsnapError(.corrupt, "\(what) ends in the middle of a zstd frame (truncated)") }
                return nil
            }
        }
    }
}
