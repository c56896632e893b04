internal import CZlib
import SnapshotCore

/// Streaming gzip decompression (`.gz`, `.tar.gz`, `geth export x.rlp.gz`) through zlib.
///
/// Feed compressed bytes in pieces of any size; decompressed output goes to `sink` in
/// blocks. Concatenated gzip members (what `cat a.gz b.gz` or `pigz` produce) are read as
/// one stream. Call `finish()` after the last input to learn whether the stream was
/// complete. A stream that returned an error is not reused.
public final class GzipStreamDecompressor {
    private let strm: UnsafeMutablePointer<z_stream>
    private let out: UnsafeMutableRawPointer
    private let outCapacity: Int
    /// True between members: the last member ended and no byte of a new one was seen yet.
    private var atMemberBoundary = false
    private var failed = false
    /// Compressed bytes consumed so far (for error offsets).
    public private(set) var totalIn: Int64 = 0
    /// Decompressed bytes produced so far.
    public private(set) var totalOut: Int64 = 0

    public init(outputBlockSize: Int = 256 << 10) {
        strm = .allocate(capacity: 1)
        strm.initialize(to: z_stream())
        let r = czlib_inflate_init_gzip(strm)
        precondition(r == Z_OK, "inflateInit2 failed (\(r)): out of memory")
        outCapacity = outputBlockSize
        out = .allocate(byteCount: outputBlockSize, alignment: 16)
    }

    deinit {
        inflateEnd(strm)
        strm.deallocate()
        out.deallocate()
    }

    /// Decompresses `input`, calling `sink` with each block of output.
    public func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !failed else {
            throw ChainsnapError(.codec, "gzip stream used after an error", hint: "start again with a new decompressor")
        }
        guard let base = input.baseAddress, input.count > 0 else { return }
        var offset = 0
        while offset < input.count {
            let chunk = min(input.count - offset, Int(UInt32.max))
            strm.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            strm.pointee.avail_in = uInt(chunk)
            let before = chunk
            chunkStart = totalIn
            chunkSize = chunk
            try pump(sink: sink)
            let used = before - Int(strm.pointee.avail_in)
            offset += used
            totalIn += Int64(used)
        }
    }

    public func feed(_ input: [UInt8], sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try feed($0, sink: sink) }
    }

    /// Where the chunk being pumped starts in the compressed stream, and its length.
    private var chunkStart: Int64 = 0
    private var chunkSize = 0
    /// Where the current member started (where bytes that are not gzip would begin).
    private var memberStart: Int64 = 0
    /// The compressed byte zlib is at now.
    private var position: Int64 { chunkStart + Int64(chunkSize - Int(strm.pointee.avail_in)) }

    private func pump(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        while strm.pointee.avail_in > 0 {
            if atMemberBoundary {
                // Another gzip member follows the one that ended.
                guard inflateReset(strm) == Z_OK else { throw fail("inflateReset failed") }
                atMemberBoundary = false
                memberStart = position
            }
            strm.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
            strm.pointee.avail_out = uInt(outCapacity)
            let r = inflate(strm, Z_NO_FLUSH)
            let produced = outCapacity - Int(strm.pointee.avail_out)
            if produced > 0 {
                totalOut += Int64(produced)
                try sink(UnsafeRawBufferPointer(start: out, count: produced))
            }
            switch r {
            case Z_OK, Z_BUF_ERROR:
                if r == Z_BUF_ERROR && produced == 0 { throw fail("gzip decoder made no progress at compressed byte \(totalIn)") }
            case Z_STREAM_END:
                atMemberBoundary = true
            default:
                let msg = strm.pointee.msg.map { String(cString: $0) } ?? "error \(r)"
                if memberStart > 0 && strm.pointee.total_in <= 10 && msg.contains("header") {
                    // Not another member: bytes after the end of the gzip data.
                    throw fail("bytes that are not gzip follow the gzip data, starting at compressed byte \(memberStart) (trailing junk: \(msg))")
                }
                throw fail("gzip data is corrupt near compressed byte \(position): \(msg)")
            }
        }
        // Input exhausted: drain output zlib still holds.
        while !atMemberBoundary {
            strm.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
            strm.pointee.avail_out = uInt(outCapacity)
            let r = inflate(strm, Z_NO_FLUSH)
            let produced = outCapacity - Int(strm.pointee.avail_out)
            if produced > 0 {
                totalOut += Int64(produced)
                try sink(UnsafeRawBufferPointer(start: out, count: produced))
            }
            if r == Z_STREAM_END { atMemberBoundary = true; break }
            if r != Z_OK && r != Z_BUF_ERROR {
                let msg = strm.pointee.msg.map { String(cString: $0) } ?? "error \(r)"
                throw fail("gzip data is corrupt: \(msg)")
            }
            if produced == 0 || strm.pointee.avail_out > 0 { break }
        }
    }

    /// Checks that the input ended at the end of a complete gzip member.
    public func finish() throws {
        guard !failed else { throw ChainsnapError(.codec, "gzip stream failed earlier") }
        guard atMemberBoundary else {
            throw ChainsnapError(.corrupt, "gzip stream is truncated after \(totalIn) compressed bytes",
                                 hint: "the file is incomplete; download or copy it again")
        }
    }

    private func fail(_ message: String) -> ChainsnapError {
        failed = true
        return ChainsnapError(.corrupt, message, hint: "the file is not valid gzip or is damaged; fetch it again")
    }

    /// Whether `bytes` start with the gzip magic number (1f 8b).
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses a whole gzip buffer (tests, small files) of at most `limit` output bytes.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        try input.withUnsafeBytes { try BoundedDecode.gzip($0, limit: limit, what: "gzip data") }
    }
}
