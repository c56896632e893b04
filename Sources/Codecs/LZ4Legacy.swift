internal import CLZ4
import SnapshotCore

/// The legacy LZ4 format (`lz4 -l`, magic 0x184C2102, what older Linux tooling and some
/// snapshot providers write): after the magic, blocks of `[compressed size: 4 bytes LE][data]`,
/// each decompressing on its own to at most 8 MiB. There is no end mark and no checksum: the
/// stream ends at the end of the file, or where a "size" larger than any block could be starts
/// the next frame (`lz4 -d` reads concatenated frames the same way).
final class LZ4LegacyDecoder {
    static let magic: UInt32 = 0x184C_2102
    static let blockSize = 8 << 20
    static let maxCompressedBlock = Int(LZ4_compressBound(Int32(blockSize)))

    private var sizeBytes: UInt32 = 0
    private var sizeFill = 0
    /// Compressed bytes of the current block (allocated on first use: legacy streams are rare).
    private var block: UnsafeMutableRawPointer?
    private var blockNeed = 0
    private var blockFill = 0
    private var out: UnsafeMutableRawPointer?
    /// Compressed bytes consumed, for error offsets.
    private(set) var consumed: Int64 = 0

    deinit {
        block?.deallocate()
        out?.deallocate()
    }

    /// Whether the stream is between blocks (where it may end).
    var atBlockBoundary: Bool { sizeFill == 0 && blockNeed == 0 }

    /// Feeds bytes after the magic. Returns how many were taken, and the next frame's magic when
    /// the stream of blocks ended there (those 4 bytes are taken too).
    func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> (Int, UInt32?) {
        var p = 0
        while p < input.count {
            if blockNeed == 0 {
                sizeBytes |= UInt32(input[p]) << (8 * UInt32(sizeFill))
                sizeFill += 1
                p += 1
                consumed += 1
                guard sizeFill == 4 else { continue }
                let size = Int(sizeBytes)
                sizeBytes = 0
                sizeFill = 0
                if size > Self.maxCompressedBlock { return (p, UInt32(size)) }
                guard size > 0 else {
                    throw ChainsnapError(.corrupt, "legacy lz4 stream has an empty block at compressed byte \(consumed - 4)")
                }
                blockNeed = size
                blockFill = 0
                if block == nil { block = .allocate(byteCount: Self.maxCompressedBlock, alignment: 16) }
                continue
            }
            let take = min(blockNeed - blockFill, input.count - p)
            (block! + blockFill).copyMemory(from: input.baseAddress! + p, byteCount: take)
            blockFill += take
            p += take
            consumed += Int64(take)
            if blockFill == blockNeed {
                if out == nil { out = .allocate(byteCount: Self.blockSize, alignment: 64) }
                let n = LZ4_decompress_safe(block!.assumingMemoryBound(to: CChar.self), out!.assumingMemoryBound(to: CChar.self),
                                            Int32(blockNeed), Int32(Self.blockSize))
                guard n >= 0 else {
                    throw ChainsnapError(.corrupt, "legacy lz4 block ending at compressed byte \(consumed) does not decompress")
                }
                blockNeed = 0
                if n > 0 { try sink(UnsafeRawBufferPointer(start: out!, count: Int(n))) }
            }
        }
        return (p, nil)
    }
}
