import Codecs
import Foundation
import Testing
import TestSupport

/// Our zstd, lz4 and gzip codecs against the reference command-line tools, both ways:
/// what we write the tools read, and what the tools write (levels, streams, several frames)
/// we read, whole and fed in pieces of any size. The CLIs and the big (de)compressions run
/// `offloaded`, off Swift concurrency's few threads, which timing-sensitive tests elsewhere need.
@Suite("zstd / lz4 / gzip against their CLIs")
struct CompressionCLITests {
    /// Half compressible, half random: exercises both literal and match paths.
    static let sample: [UInt8] = Trees.compressibleBytes(3 << 19, seed: 11) + randomBytes(200_000, seed: 12)

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func shell(_ command: String) async throws {
        let r = try await offloaded { try run("/bin/sh", ["-c", command]) }
        #expect(r.status == 0, "\(command): \(r.output)")
    }

    /// The error `work` threw, as text ("no error" when it did not throw).
    static func message(_ work: () throws -> Void) -> String {
        do { try work(); return "no error" } catch { return "\(error)" }
    }

    /// Compresses the sample and an empty input with `compress`, has the CLI decompress each
    /// (`command(input, output)`), and expects the original bytes back.
    static func cliDecodes(_ ext: String, _ compress: @escaping @Sendable ([UInt8]) throws -> [UInt8],
                           command: (String, String) -> String) async throws {
        let t = TempDir(ext + "-out")
        for (name, input) in [("sample", sample), ("empty", [])] {
            let frame = try await offloaded { try compress(input) }
            try write(frame, t.sub(name + "." + ext))
            try await shell(command(t.sub(name + "." + ext), t.sub(name)))
            #expect(try read(t.sub(name)) == input, "\(name).\(ext)")
        }
    }

    /// The sample compressed by a CLI three ways, in a new temp folder: `s.EXT` from the file
    /// (`file(input, output)`), `pipe.EXT` from a pipe (`pipe` reads stdin, writes stdout), and
    /// `two.EXT`, the two concatenated. `expected` lists each with the bytes it holds.
    static func cliEncodes(_ ext: String, file: (String, String) -> String, pipe: String) async throws
        -> (dir: TempDir, expected: [(String, [UInt8])]) {
        let t = TempDir(ext + "-in")
        try write(sample, t.sub("s"))
        try await shell(file(t.sub("s"), t.sub("s." + ext)))
        try await shell("cat '\(t.sub("s"))' | \(pipe) > '\(t.sub("pipe." + ext))'")
        try await shell("cat '\(t.sub("s." + ext))' '\(t.sub("pipe." + ext))' > '\(t.sub("two." + ext))'")
        return (t, [("s." + ext, sample), ("pipe." + ext, sample), ("two." + ext, sample + sample)])
    }

    /// Each file of `files` (name → expected output) decoded by a fresh streaming decoder,
    /// fed in pieces of varying size, then finished.
    static func streamDecodes(_ files: [(String, [UInt8])], in t: TempDir,
                              _ make: @escaping @Sendable () -> any StreamDecoder) async throws {
        for (name, want) in files {
            let input = try read(t.sub(name))
            let out: [UInt8] = try await offloaded {
                let d = make()
                var out: [UInt8] = []
                var i = 0, step = 1
                try input.withUnsafeBytes { all in
                    while i < all.count {
                        let n = min(all.count - i, step)
                        try d.feed(UnsafeRawBufferPointer(rebasing: all[i..<(i + n)])) { out.append(contentsOf: $0) }
                        i += n
                        step = step * 5 % 70_001 + 1
                    }
                }
                try d.finish()
                return out
            }
            #expect(out == want, "\(name) fed in pieces")
        }
    }

    // MARK: zstd

    @Test("our zstd frames decompress with `zstd -d` (levels 1, 3, 19; empty input)", .requires("zstd"),
          arguments: [1, 3, 19])
    func zstdOursToCLI(level: Int) async throws {
        try await Self.cliDecodes("zst", { input in try input.withUnsafeBytes { try ZstdCompressor(level: level).compress($0) } },
                                  command: { "zstd -q -d -f '\($0)' -o '\($1)'" })
        let small = Array(Self.sample.prefix(10_000))
        let frame = try small.withUnsafeBytes { try ZstdCompressor(level: level).compress($0) }
        #expect(frame.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == small.count, "content size in the header")
    }

    @Test("`zstd` output decompresses whole and streamed (file, pipe, --long, several frames)", .requires("zstd"))
    func zstdCLIToOurs() async throws {
        // From a pipe the size is unknown; --long=27 declares a 128 MiB window (the default limit).
        let (t, files) = try await Self.cliEncodes("zst", file: { "zstd -q -19 '\($0)' -o '\($1)'" }, pipe: "zstd -q --long=27 -c")

        let file = try Self.read(t.sub("s.zst"))
        #expect(file.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == Self.sample.count)
        #expect(try await offloaded { try ZstdDecompressor().decompress(file, expectedSize: Self.sample.count) } == Self.sample)

        let pipe = try Self.read(t.sub("pipe.zst"))
        #expect(pipe.withUnsafeBytes { ZstdDecompressor.frameContentSize($0) } == nil)
        #expect(pipe.withUnsafeBytes { ZstdStreamDecompressor.frameWindowSize($0) } == 1 << 27)
        try await Self.streamDecodes(files, in: t) { ZstdStreamDecompressor() }
    }

    @Test("zstd: truncated, corrupted and mis-sized frames give clear errors")
    func zstdErrors() throws {
        let frame = try Self.sample.withUnsafeBytes { try ZstdCompressor(level: 3).compress($0) }
        #expect(Self.message { _ = try ZstdDecompressor().decompress(Array(frame.dropLast(100)), expectedSize: Self.sample.count) }
            .contains("zstd stream ends in the middle of a frame (truncated)"))
        var flipped = frame
        flipped[flipped.count / 2] ^= 0x5a
        #expect(Self.message { _ = try ZstdDecompressor().decompress(flipped, expectedSize: Self.sample.count) }
            .contains("zstd frame does not decompress"))
        #expect(Self.message { _ = try ZstdDecompressor().decompress(frame, expectedSize: Self.sample.count - 1) }
            .contains("declares \(Self.sample.count) bytes of content, more than the \(Self.sample.count - 1) allowed"))
        #expect(Self.message { _ = try ZstdDecompressor().decompress(Array("not zstd at all".utf8), expectedSize: 15) }
            .contains("zstd stream is corrupt"))
        // Streams: a cut stream is reported at finish, garbage at once, nothing at all as empty.
        let cut = ZstdStreamDecompressor()
        try Array(frame.dropLast(7)).withUnsafeBytes { try cut.feed($0) { _ in } }
        #expect(Self.message { try cut.finish() }.contains("truncated"))
        let bad = ZstdStreamDecompressor()
        #expect(Self.message { try Array("garbage!".utf8).withUnsafeBytes { try bad.feed($0) { _ in } } }.contains("zstd stream is corrupt"))
        #expect(Self.message { try ZstdStreamDecompressor().finish() }.contains("empty"))
        // A window larger than allowed is refused rather than allocated.
        let small = ZstdStreamDecompressor(windowLogMax: 10)
        #expect(Self.message { try frame.withUnsafeBytes { try small.feed($0) { _ in } } }.contains("zstd stream is corrupt"))
    }

    // MARK: lz4

    @Test("our lz4 frames decompress with `lz4 -d`", .requires("lz4"), arguments: [0, 9])
    func lz4OursToCLI(level: Int) async throws {
        try await Self.cliDecodes("lz4", { input in try input.withUnsafeBytes { try LZ4Frame.compress($0, level: level) } },
                            command: { "lz4 -q -d -f '\($0)' '\($1)'" })
    }

    @Test("`lz4` output decompresses whole and streamed (content size, pipe, -9, two frames)", .requires("lz4"))
    func lz4CLIToOurs() async throws {
        let (t, files) = try await Self.cliEncodes("lz4", file: { "lz4 -q -9 --content-size '\($0)' '\($1)'" }, pipe: "lz4 -q -c")
        let whole = try Self.read(t.sub("s.lz4"))
        #expect(try await offloaded { try LZ4Decompressor().decompress(whole, expectedSize: Self.sample.count) } == Self.sample)
        try await Self.streamDecodes(files, in: t) { LZ4Decompressor() }
    }

    @Test("lz4: truncated, corrupted and mis-sized frames give clear errors")
    func lz4Errors() throws {
        let frame = try Self.sample.withUnsafeBytes { try LZ4Frame.compress($0) }
        #expect(Self.message { _ = try LZ4Decompressor().decompress(Array(frame.dropLast(50)), expectedSize: Self.sample.count) }
            .contains("lz4 stream ends in the middle"))
        var flipped = frame
        flipped[flipped.count - 2] ^= 0x5a  // inside the content checksum
        #expect(Self.message { _ = try LZ4Decompressor().decompress(flipped, expectedSize: Self.sample.count) }
            .contains("lz4 stream is corrupt: ERROR_contentChecksum_invalid"))
        #expect(Self.message { _ = try LZ4Decompressor().decompress(frame, expectedSize: Self.sample.count + 10) }
            .contains("expected \(Self.sample.count + 10)"))
        #expect(Self.message { _ = try LZ4Decompressor().decompress(Array("not an lz4 frame".utf8), expectedSize: 16) }
            .contains("lz4 stream is corrupt"))
        let cut = LZ4Decompressor()
        try Array(frame.dropLast(9)).withUnsafeBytes { try cut.feed($0) { _ in } }
        #expect(Self.message { try cut.finish() }.contains("truncated"))
        #expect(Self.message { try LZ4Decompressor().finish() }.contains("empty"))
    }

    // MARK: gzip

    @Test("`gzip` output (levels 1 and 9, from a pipe, two members) decompresses whole and streamed", .requires("gzip"))
    func gzipCLIToOurs() async throws {
        let (t, files) = try await Self.cliEncodes("gz", file: { "gzip -1 -c '\($0)' > '\($1)'" }, pipe: "gzip -9 -c")
        for (name, want) in files {
            let bytes = try Self.read(t.sub(name))
            #expect(bytes.withUnsafeBytes { GzipStreamDecompressor.isGzip($0) })
            #expect(try await offloaded { try GzipStreamDecompressor.decompress(bytes) } == want, "\(name)")
        }
        try await Self.streamDecodes(files, in: t) { GzipStreamDecompressor(outputBlockSize: 4096) }
        let counted = GzipStreamDecompressor()
        let two = try Self.read(t.sub("two.gz"))
        try counted.feed(two) { _ in }
        #expect(counted.totalIn == Int64(two.count) && counted.totalOut == Int64(2 * Self.sample.count))
    }

    @Test("gzip: truncated and corrupted streams give clear errors", .requires("gzip"))
    func gzipErrors() async throws {
        let t = TempDir("gzip-bad")
        try Self.write(Self.sample, t.sub("s"))
        try await Self.shell("gzip -c '\(t.sub("s"))' > '\(t.sub("s.gz"))'")
        let gz = try Self.read(t.sub("s.gz"))
        #expect(Self.message { _ = try GzipStreamDecompressor.decompress(Array(gz.dropLast(5))) }.contains("truncated"))
        var flipped = gz
        flipped[gz.count / 2] ^= 0xff
        #expect(Self.message { _ = try GzipStreamDecompressor.decompress(flipped) }.contains("gzip data is corrupt"))
        #expect(Self.message { _ = try GzipStreamDecompressor.decompress(Array("plain text, not gzip".utf8)) }.contains("corrupt"))
        #expect(!Array("plain".utf8).withUnsafeBytes { GzipStreamDecompressor.isGzip($0) })
        // A failed stream is not reused.
        let d = GzipStreamDecompressor()
        _ = Self.message { try d.feed(flipped) { _ in } }
        #expect(Self.message { try d.feed(gz) { _ in } }.contains("used after an error"))
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

/// The streaming decoders, fed alike by `streamDecodes`.
protocol StreamDecoder {
    func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws
    func finish() throws
}

extension ZstdStreamDecompressor: StreamDecoder {}
extension LZ4Decompressor: StreamDecoder {}
extension GzipStreamDecompressor: StreamDecoder {}
