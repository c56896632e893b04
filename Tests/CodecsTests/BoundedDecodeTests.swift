import Foundation
import Testing
@testable import Codecs
import SnapshotCore
import TestSupport

/// Decoders of untrusted frames allocate what the caller allows, not what a header claims.
@Suite struct BoundedDecodeTests {
    /// A 16-byte zstd frame: single segment, an 8-byte content size field, then one empty raw last block.
    static func lyingZstdFrame(declaring size: UInt64) -> [UInt8] {
        var f: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        for i in 0..<8 { f.append(UInt8(truncatingIfNeeded: size >> (8 * UInt64(i)))) }
        return f + [0x01, 0x00, 0x00]
    }

    @Test func aFrameDeclaringMoreThanTheLimitIsRefusedBeforeAllocating() throws {
        let frame = Self.lyingZstdFrame(declaring: (1 << 31) - 1)
        #expect(frame.count < 60)
        #expect {
            _ = try BoundedDecode.zstd(frame, limit: 1 << 30, what: "the manifest")
        } throws: { e in
            (e as? ChainsnapError)?.message.contains("declares 2147483647 bytes") == true
        }
    }

    /// The manifest-declared size (an RLP part's rawSize) is untrusted too: asking for 1 TiB used to allocate it.
    @Test func anUntrustedExpectedSizeIsNotAllocated() throws {
        let real = try [UInt8](repeating: 7, count: 1000).withUnsafeBytes { try ZstdCompressor().compress($0) }
        #expect(throws: ChainsnapError.self) { _ = try ZstdDecompressor().decompress(real, expectedSize: 1 << 40) }
        #expect(throws: ChainsnapError.self) { _ = try ZstdDecompressor().decompress(Self.lyingZstdFrame(declaring: 1 << 40), expectedSize: 1 << 40) }
        let lz = try [UInt8](repeating: 3, count: 5000).withUnsafeBytes { try LZ4Frame.compress($0) }
        #expect(throws: ChainsnapError.self) { _ = try LZ4Decompressor().decompress(lz, expectedSize: 1 << 40) }
        #expect(try LZ4Decompressor().decompress(lz, expectedSize: 5000) == [UInt8](repeating: 3, count: 5000))
    }

    @Test func framesWithinTheLimitDecodeOnBothPaths() throws {
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let frame = try data.withUnsafeBytes { try ZstdCompressor().compress($0) }
        // Preallocated (declared size small enough) and streamed (preallocation refused).
        #expect(try BoundedDecode.zstd(frame, limit: 1 << 20, what: "x") == data)
        #expect(try BoundedDecode.zstd(frame, limit: 1 << 20, what: "x", preallocateLimit: 1000) == data)
        #expect(try ZstdDecompressor().decompress(frame, expectedSize: data.count) == data)
        // One byte over the limit: refused on both paths.
        #expect(throws: ChainsnapError.self) { _ = try BoundedDecode.zstd(frame, limit: data.count - 1, what: "x") }
        #expect(throws: ChainsnapError.self) { _ = try BoundedDecode.zstd(frame, limit: data.count - 1, what: "x", preallocateLimit: 0) }
    }

    @Test func aZstdStreamWithoutContentSizeStopsAtTheLimit() throws {
        // `zstd` CLI output piped from stdin has no content size; emulate with two frames concatenated.
        let a = try [UInt8](repeating: 0, count: 200_000).withUnsafeBytes { try ZstdCompressor().compress($0) }
        let both = a + a
        #expect(try BoundedDecode.zstd(both, limit: 400_000, what: "x").count == 400_000)
        #expect {
            _ = try BoundedDecode.zstd(both, limit: 300_000, what: "two frames")
        } throws: { e in (e as? ChainsnapError)?.message.contains("more than the 300000 bytes allowed") == true }
    }

    @Test func aGzipBombStopsAtTheLimit() throws {
        // 1 MiB of zeros compressed by the gzip CLI (installed by scripts/setup.sh): about 1 KiB.
        let t = TempDir("gz")
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: t.sub("z")))
        #expect(try run("gzip", [t.sub("z")]).status == 0)
        let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: t.sub("z.gz"))))
        #expect(gz.count < 4096)
        #expect(try GzipStreamDecompressor.decompress(gz).count == 1 << 20)
        #expect(throws: ChainsnapError.self) { _ = try GzipStreamDecompressor.decompress(gz, limit: 100_000) }
    }

    @Test func log2CeilingBoundsTheWindow() {
        #expect(BoundedDecode.log2Ceiling(1) == 0)
        #expect(BoundedDecode.log2Ceiling(1024) == 10)
        #expect(BoundedDecode.log2Ceiling(1025) == 11)
        #expect(BoundedDecode.log2Ceiling(1 << 30) == 30)
    }
}
