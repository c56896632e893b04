import Codecs
import Foundation
import Testing
import TestSupport

/// Our zstd, lz4 and gzip codecs against the reference command-line tools, both ways:
/// what we write the tools read, and what the tools write (levels, streams, several frames)
/// we read, whole and fed in pieces of any size.
@Suite("zstd / lz4 / gzip against their CLIs")
struct CompressionCLITests {
    /// Half compressible, half random: exercises both literal and match paths.
    static let sample: [UInt8] = Trees.compressibleBytes(3 << 20, seed: 11) + randomBytes(300_000, seed: 12)

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func shell(_ command: String) throws {
        let r = try run("/bin/sh", ["-c", command])
        #expect(r.status == 0, "\(command): \(r.output)")
    }

    /// Feeds `input` to a streaming decoder in pieces of varying size; returns all output.
    static func pieces(_ input: [UInt8], feed: (UnsafeRawBufferPointer, (UnsafeRawBufferPointer) -> Void) throws -> Void) rethrows -> [UInt8] {
        var out: [UInt8] = []
        var i = 0, step = 1
        try input.withUnsafeBytes { all in
            while i < all.count {
                let n = min(all.count - i, step)
                try feed(UnsafeRawBufferPointer(rebasing: all[i..<(i + n)])) { out.append(contentsOf: $0) }
                i += n
                step = step * 5 % 70_001 + 1
            }
        }
        return out
    }

    // MARK: zstd

    @Test("our zstd frames decompress with `zstd -d` (levels 1, 3, 19; empty input)", .requires("zstd"),
          arguments: [1, 3, 19])
    func zstdOursToCLI(level: Int) throws {
        let t = TempDir("zstd-out")
        for (name, input) in [("sample", Self.sample), ("empty", [])] {
            let frame = try input.withUnsafeBytes { try ZstdCompressor(level: level).compress($0) }
            #expect(frame.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == input.count)
            try Self.write(frame, t.sub(name + ".zst"))
            try Self.shell("zstd -q -d -f '\(t.sub(name + ".zst"))' -o '\(t.sub(name))'")
            #expect(try Self.read(t.sub(name)) == input, "\(name) at level \(level)")
        }
    }

    @Test("`zstd` output decompresses whole and streamed (file, pipe, --long, several frames)", .requires("zstd"))
    func zstdCLIToOurs() throws {
        let t = TempDir("zstd-in")
        try Self.write(Self.sample, t.sub("s"))
        try Self.shell("zstd -q -19 '\(t.sub("s"))' -o '\(t.sub("s.zst"))'")
        // From a pipe the size is unknown; --long=27 declares a 128 MiB window (the default limit).
        try Self.shell("cat '\(t.sub("s"))' | zstd -q --long=27 -c > '\(t.sub("pipe.zst"))'")
        try Self.shell("cat '\(t.sub("s.zst"))' '\(t.sub("pipe.zst"))' > '\(t.sub("two.zst"))'")

        let file = try Self.read(t.sub("s.zst"))
        #expect(file.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == Self.sample.count)
        #expect(try ZstdDecompressor().decompress(file, expectedSize: Self.sample.count) == Self.sample)

        let pipe = try Self.read(t.sub("pipe.zst"))
        #expect(pipe.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == nil)
        #expect(pipe.withUnsafeBytes { ZstdStreamDecompressor.frameWindowSize($0) } == 1 << 27)
        for (name, want) in [("s.zst", Self.sample), ("pipe.zst", Self.sample), ("two.zst", Self.sample + Self.sample)] {
            let d = ZstdStreamDecompressor()
            let got = try Self.pieces(try Self.read(t.sub(name))) { try d.feed($0, sink: $1) }
            try d.finish()
            #expect(got == want, "\(name)")
        }
    }

    @Test("zstd: truncated, corrupted and mis-sized frames give clear errors")
    func zstdErrors() throws {
        let frame = try Self.sample.withUnsafeBytes { try ZstdCompressor(level: 3).compress($0) }
        func message(_ work: () throws -> Void) -> String {
            do { try work(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try ZstdDecompressor().decompress(Array(frame.dropLast(100)), expectedSize: Self.sample.count) }
            .contains("zstd frame does not decompress"))
        var flipped = frame
        flipped[flipped.count / 2] ^= 0x5a
        #expect(message { _ = try ZstdDecompressor().decompress(flipped, expectedSize: Self.sample.count) }
            .contains("zstd frame does not decompress"))
        #expect(message { _ = try ZstdDecompressor().decompress(frame, expectedSize: Self.sample.count - 1) }
            .contains("does not decompress"))
        #expect(message { _ = try ZstdDecompressor().decompress(Array("not zstd at all".utf8), expectedSize: 15) }
            .contains("zstd frame does not decompress"))
        // Streams: a cut stream is reported at finish, garbage at once, nothing at all as empty.
        let cut = ZstdStreamDecompressor()
        try Array(frame.dropLast(7)).withUnsafeBytes { try cut.feed($0) { _ in } }
        #expect(message { try cut.finish() }.contains("truncated"))
        let bad = ZstdStreamDecompressor()
        #expect(message { try Array("garbage!".utf8).withUnsafeBytes { try bad.feed($0) { _ in } } }.contains("zstd stream is corrupt"))
        #expect(message { try ZstdStreamDecompressor().finish() }.contains("empty"))
        // A window larger than allowed is refused rather than allocated.
        let small = ZstdStreamDecompressor(windowLogMax: 10)
        #expect(message { try frame.withUnsafeBytes { try small.feed($0) { _ in } } }.contains("zstd stream is corrupt"))
    }

    // MARK: lz4

    @Test("our lz4 frames decompress with `lz4 -d`", .requires("lz4"), arguments: [0, 9])
    func lz4OursToCLI(level: Int) throws {
        let t = TempDir("lz4-out")
        for (name, input) in [("sample", Self.sample), ("empty", [])] {
            let frame = try input.withUnsafeBytes { try LZ4Frame.compress($0, level: level) }
            try Self.write(frame, t.sub(name + ".lz4"))
            try Self.shell("lz4 -q -d -f '\(t.sub(name + ".lz4"))' '\(t.sub(name))'")
            #expect(try Self.read(t.sub(name)) == input, "\(name) at level \(level)")
        }
    }

    @Test("`lz4` output decompresses whole and streamed (content size, pipe, -9, two frames)", .requires("lz4"))
    func lz4CLIToOurs() throws {
        let t = TempDir("lz4-in")
        try Self.write(Self.sample, t.sub("s"))
        try Self.shell("lz4 -q -9 --content-size '\(t.sub("s"))' '\(t.sub("s.lz4"))'")
        try Self.shell("cat '\(t.sub("s"))' | lz4 -q -c > '\(t.sub("pipe.lz4"))'")
        try Self.shell("cat '\(t.sub("s.lz4"))' '\(t.sub("pipe.lz4"))' > '\(t.sub("two.lz4"))'")
        #expect(try LZ4Decompressor().decompress(try Self.read(t.sub("s.lz4")), expectedSize: Self.sample.count) == Self.sample)
        for (name, want) in [("s.lz4", Self.sample), ("pipe.lz4", Self.sample), ("two.lz4", Self.sample + Self.sample)] {
            let d = LZ4Decompressor()
            let got = try Self.pieces(try Self.read(t.sub(name))) { try d.feed($0, sink: $1) }
            try d.finish()
            #expect(got == want, "\(name)")
        }
    }

    @Test("lz4: truncated, corrupted and mis-sized frames give clear errors")
    func lz4Errors() throws {
        let frame = try Self.sample.withUnsafeBytes { try LZ4Frame.compress($0) }
        func message(_ work: () throws -> Void) -> String {
            do { try work(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try LZ4Decompressor().decompress(Array(frame.dropLast(50)), expectedSize: Self.sample.count) }
            .contains("lz4 frame decompressed to"))
        var flipped = frame
        flipped[flipped.count - 2] ^= 0x5a  // inside the content checksum
        #expect(message { _ = try LZ4Decompressor().decompress(flipped, expectedSize: Self.sample.count) }
            .contains("lz4 frame does not decompress"))
        #expect(message { _ = try LZ4Decompressor().decompress(frame, expectedSize: Self.sample.count + 10) }
            .contains("expected \(Self.sample.count + 10)"))
        #expect(message { _ = try LZ4Decompressor().decompress(Array("not an lz4 frame".utf8), expectedSize: 16) }
            .contains("lz4 frame does not decompress"))
        let cut = LZ4Decompressor()
        try Array(frame.dropLast(9)).withUnsafeBytes { try cut.feed($0) { _ in } }
        #expect(message { try cut.finish() }.contains("truncated"))
        #expect(message { try LZ4Decompressor().finish() }.contains("empty"))
    }

    // MARK: gzip

    @Test("`gzip` output (levels 1 and 9, two members) decompresses whole and streamed", .requires("gzip"))
    func gzipCLIToOurs() throws {
        let t = TempDir("gzip-in")
        try Self.write(Self.sample, t.sub("s"))
        try Self.shell("gzip -1 -c '\(t.sub("s"))' > '\(t.sub("fast.gz"))'")
        try Self.shell("gzip -9 -c '\(t.sub("s"))' > '\(t.sub("best.gz"))'")
        try Self.shell("cat '\(t.sub("fast.gz"))' '\(t.sub("best.gz"))' > '\(t.sub("two.gz"))'")
        for (name, want) in [("fast.gz", Self.sample), ("best.gz", Self.sample), ("two.gz", Self.sample + Self.sample)] {
            let bytes = try Self.read(t.sub(name))
            #expect(bytes.withUnsafeBytes { GzipStreamDecompressor.isGzip($0) })
            #expect(try GzipStreamDecompressor.decompress(bytes) == want, "\(name)")
            let d = GzipStreamDecompressor(outputBlockSize: 4096)
            let got = try Self.pieces(bytes) { try d.feed($0, sink: $1) }
            try d.finish()
            #expect(got == want, "\(name) in pieces")
            #expect(d.totalIn == Int64(bytes.count) && d.totalOut == Int64(want.count))
        }
    }

    @Test("gzip: truncated and corrupted streams give clear errors", .requires("gzip"))
    func gzipErrors() throws {
        let t = TempDir("gzip-bad")
        try Self.write(Self.sample, t.sub("s"))
        try Self.shell("gzip -c '\(t.sub("s"))' > '\(t.sub("s.gz"))'")
        let gz = try Self.read(t.sub("s.gz"))
        func message(_ work: () throws -> Void) -> String {
            do { try work(); return "no error" } catch { return "\(error)" }
        }
        #expect(message { _ = try GzipStreamDecompressor.decompress(Array(gz.dropLast(5))) }.contains("truncated"))
        var flipped = gz
        flipped[gz.count / 2] ^= 0xff
        #expect(message { _ = try GzipStreamDecompressor.decompress(flipped) }.contains("gzip data is corrupt"))
        #expect(message { _ = try GzipStreamDecompressor.decompress(Array("plain text, not gzip".utf8)) }.contains("corrupt"))
        #expect(!Array("plain".utf8).withUnsafeBytes { GzipStreamDecompressor.isGzip($0) })
        // A failed stream is not reused.
        let d = GzipStreamDecompressor()
        _ = message { try d.feed(flipped) { _ in } }
        #expect(message { try d.feed(gz) { _ in } }.contains("used after an error"))
    }

    // MARK: chunk codecs

    @Test("ChunkCodecContext round-trips both chunk codecs; unknown names are refused", arguments: ChunkCodec.allCases)
    func chunkCodecs(codec: ChunkCodec) throws {
        let ctx = ChunkCodecContext(level: 3)
        let packed = try Self.sample.withUnsafeBytes { try ctx.compress($0, codec: codec) }
        #expect(packed.count < Self.sample.count)
        var out = [UInt8](repeating: 0, count: Self.sample.count)
        let n = try packed.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { try ctx.decompress(p, codec: codec.rawValue, expectedSize: Self.sample.count, into: $0) }
        }
        #expect(n == Self.sample.count && out == Self.sample)
        #expect(throws: (any Error).self) {
            try packed.withUnsafeBytes { p in
                try out.withUnsafeMutableBytes { _ = try ctx.decompress(p, codec: "brotli", expectedSize: 1, into: $0) }
            }
        }
        #expect(try ChunkCodec(parsing: codec.rawValue.uppercased()) == codec)
        #expect(throws: (any Error).self) { _ = try ChunkCodec(parsing: "xz") }
    }
}
