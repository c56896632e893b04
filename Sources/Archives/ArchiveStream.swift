import Codecs
import Foundation
import RestoreCore
import SnapshotCore
import Stores

/// The streaming core of an archive restore: ranged downloads in parallel, reassembled in
/// order, hashed, decompressed and extracted — three stages that overlap:
///
///     downloads (async, up to `window` ranges) ─in order─▶ decode thread ─blocks─▶ extract thread
///
/// Memory is bounded: at most `window` ranges are downloaded or waiting, plus a small pool of
/// decompressed blocks.
struct ArchiveStream {
    let store: any ObjectStore
    let key: String
    let size: Int64
    let root: String
    let options: ArchiveRestore.Options

    /// Decompressed blocks passed from the decode stage to the extract stage: 6 of them,
    /// 4 MiB each, smaller when the memory limit is small (they take at most 1/8 of it).
    static let blockCount = 6
    var blockSize: Int { Int(min(max(options.memoryLimit / 48, 256 << 10), 4 << 20)) }

    struct Result {
        var format: ArchiveFormat
        var sha256: String?
        var stats: TarExtractionStats
    }

    /// Requests in flight at most: `--connections` (a few for local files, which gain nothing more).
    var connections: Int { store is FileStore ? min(options.connections, 4) : options.connections }

    /// Bytes per ranged request: as asked (8 MiB), but small enough that twice the connections'
    /// worth of ranges fits in half the memory limit (and at least 1 MiB).
    var rangeSize: Int64 {
        min(Int64(options.rangeSize), max(options.memoryLimit / 2 / Int64(2 * connections), 1 << 20))
    }

    /// How many ranges may be downloaded or buffered at once: twice the connections, within half
    /// the memory limit. Ranges finish out of order and the decoder takes them in order; with only
    /// as many permits as connections, finished ranges waiting for an earlier one held permits and
    /// left connections idle (measured, 25 MB/s per connection: 16 permits 3.98 s, 32 permits 2.7 s).
    var window: Int {
        max(2, min(2 * connections, Int(options.memoryLimit / 2 / rangeSize)))
    }

    func run() async throws -> Result {
        let rangeSize = self.rangeSize
        let rangeCount = Int((size + rangeSize - 1) / rangeSize)
        let failure = ArchiveFailure(nil)
        let permits = ArchivePermits(window)
        let ranges = ArchiveQueue<[UInt8]>()
        let full = ArchiveQueue<ArchiveBlock>()
        let free = ArchiveQueue<ArchiveBlock>()
        for _ in 0..<ArchiveStream.blockCount { free.push(ArchiveBlock(capacity: blockSize)) }
        let formatBox = Locked<(ArchiveFormat, String?)?>(nil)
        let statsBox = Locked<TarExtractionStats?>(nil)

        @Sendable func fail(_ e: any Error) {
            failure.record(e)
            permits.cancel()
            ranges.close(discard: true)
            full.close(discard: true)
            free.close(discard: true)
        }

        let decode = DecodeStage(key: key, options: options, ranges: ranges, full: full, free: free,
                                 permits: permits, failure: failure, result: formatBox)
        let extract = ExtractStage(root: root, options: options, full: full, free: free, failure: failure, result: statsBox)
        async let decoded: Void = runOnThread("archive-decode") {
            do { try decode.run() } catch { fail(error) }
        }
        async let extracted: Void = runOnThread("archive-extract") {
            do { try extract.run() } catch { fail(error) }
        }

        do {
            try await download(rangeCount: rangeCount, permits: permits, ranges: ranges, failure: failure)
            ranges.close()
        } catch {
            fail(error)
        }
        await decoded
        await extracted
        if let e = failure.current { throw e }
        guard let (format, sha) = formatBox.withLock({ $0 }), let stats = statsBox.withLock({ $0 }) else {
            throw ChainsnapError(.io, "archive restore stopped without a result", object: key)
        }
        return Result(format: format, sha256: sha, stats: stats)
    }

    /// Fetches ranges with up to `window` in flight and hands them to the decode stage in order.
    private func download(rangeCount: Int, permits: ArchivePermits, ranges: ArchiveQueue<[UInt8]>,
                          failure: ArchiveFailure) async throws {
        let store = self.store, key = self.key, size = self.size, rangeSize = self.rangeSize, connections = self.connections
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var next = 0
            var deliver = 0
            var inFlight = 0
            var pending: [Int: [UInt8]] = [:]
            func start(_ i: Int) {
                let lo = Int64(i) * rangeSize
                let hi = min(size, lo + rangeSize)
                group.addTask {
                    let bytes = try await store.get(key, range: lo..<hi)
                    guard bytes.count == Int(hi - lo) else {
                        throw ChainsnapError(.corrupt,
                                             "reading bytes \(lo)-\(hi - 1) of '\(key)' returned \(bytes.count) bytes instead of \(hi - lo)",
                                             object: key, hint: "the archive changed or was truncated on the server; run the restore again",
                                             retryable: true)
                    }
                    return (i, bytes)
                }
                inFlight += 1
            }
            while deliver < rangeCount {
                if let e = failure.current { throw e }
                while next < rangeCount && inFlight < connections && permits.tryAcquire() {
                    start(next)
                    next += 1
                }
                if inFlight == 0 {
                    // Everything fetched so far is with the decoder: wait for it to free a slot.
                    await permits.acquire()
                    if let e = failure.current { throw e }
                    start(next)
                    next += 1
                    continue
                }
                guard let (i, bytes) = try await group.next() else { break }
                inFlight -= 1
                pending[i] = bytes
                while let b = pending.removeValue(forKey: deliver) {
                    ranges.push(b)
                    deliver += 1
                }
            }
        }
    }
}

/// A size as `--memory-limit` takes it: `512MiB`, `4GiB`.
func flagSize(_ bytes: Int64) -> String {
    bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? "\(bytes >> 30)GiB" : "\((bytes + (1 << 20) - 1) >> 20)MiB"
}

/// Stage 2: hashes the compressed stream, picks the format, decompresses into blocks.
private struct DecodeStage: @unchecked Sendable {
    let key: String
    let options: ArchiveRestore.Options
    let ranges: ArchiveQueue<[UInt8]>
    let full: ArchiveQueue<ArchiveBlock>
    let free: ArchiveQueue<ArchiveBlock>
    let permits: ArchivePermits
    let failure: ArchiveFailure
    /// Set once the stream decoded completely.
    let result: Locked<(ArchiveFormat, String?)?>

    func run() throws {
        let hasher = options.sha256 != nil ? SHA256Hasher() : nil
        var decoder: ArchiveDecoder?
        var firstBytes: [UInt8] = []
        guard var block = free.pop() else { return }
        block.count = 0
        var offset: Int64 = 0
        while let range = ranges.pop() {
            try range.withUnsafeBytes { buf in
                hasher?.update(buf)
                if decoder == nil {
                    let format = try ArchiveRestore.chooseFormat(key: key, explicit: options.format, prefix: buf, log: options.log)
                    decoder = ArchiveDecoder(format: format, windowLogMax: zstdWindowLogMax(memoryLimit: options.memoryLimit))
                    firstBytes = Array(buf.prefix(16))
                }
                do {
                    try feed(decoder!, buf, into: &block)
                } catch let e as ChainsnapError {
                    throw e.code == .corrupt || e.code == .codec
                        ? decodeError(e, format: decoder!.format, at: offset, firstBytes: firstBytes) : e
                }
            }
            offset += Int64(range.count)
            permits.release()
            options.onProgress?(Int64(range.count))
            options.progress?.add(Int64(range.count))
        }
        if failure.failed { return }
        guard let decoder else {
            throw ChainsnapError(.corrupt, "archive '\(key)' is empty", object: key, hint: "check the URL; the object has no bytes")
        }
        do {
            try decoder.finish()
        } catch let e as ChainsnapError {
            throw decodeError(e, format: decoder.format, at: offset, firstBytes: firstBytes)
        }
        if block.count > 0 { full.push(block) }
        var digest: String?
        if let hasher {
            let got = hasher.finishHex()
            digest = got
            if got != options.sha256!.lowercased() {
                throw ChainsnapError(.corrupt, "archive '\(key)' has SHA-256 \(got), expected \(options.sha256!.lowercased())",
                                     object: key, hint: "the archive is not the one published (or was damaged in transit); nothing was changed in the target — check the checksum and the URL")
            }
        }
        result.withLock { $0 = (decoder.format, digest) }
        full.close()
    }

    /// Says which archive and where, and what to do, around a codec's error.
    private func decodeError(_ e: ChainsnapError, format: ArchiveFormat, at offset: Int64, firstBytes: [UInt8]) -> ChainsnapError {
        var hint = "the download is damaged or the file is not a complete \(format.rawValue) archive; fetch it again (--sha256 tells a bad copy from a bad source)"
        if e.message.contains("too much memory") || e.message.contains("window") {
            let window = firstBytes.withUnsafeBytes { ZstdStreamDecompressor.frameWindowSize($0) }
            let allowed = Int64(1) << zstdWindowLogMax(memoryLimit: options.memoryLimit)
            if let window, window <= UInt64(1) << 31 {
                hint = "the archive was compressed with a \(flagSize(Int64(window))) window (zstd --long); this restore allows \(flagSize(allowed)) — run again with --memory-limit \(flagSize(Int64(window) * 2)) or more"
            } else {
                hint = "the archive was compressed with a window larger than this restore allows (\(flagSize(allowed))); run again with a larger --memory-limit (twice the window, at most 4GiB for zstd --long=31)"
            }
        }
        if e.message.contains("truncated") {
            hint = "the archive ends early (an incomplete upload or download); fetch it again, and check the publisher's size or checksum (--sha256)"
        }
        return ChainsnapError(.corrupt, "archive '\(key)' does not decompress as \(format.compressionName) (in the range starting at byte \(offset)): \(e.message)",
                              object: key, hint: hint)
    }

    /// Decompresses one range into blocks for the extract stage.
    private func feed(_ decoder: ArchiveDecoder, _ buf: UnsafeRawBufferPointer, into block: inout ArchiveBlock) throws {
        try decoder.feed(buf) { out in
            var p = 0
            while p < out.count {
                let take = min(out.count - p, block.capacity - block.count)
                (block.base + block.count).copyMemory(from: out.baseAddress! + p, byteCount: take)
                block.count += take
                p += take
                if block.count == block.capacity {
                    guard full.push(block), let b = free.pop() else { throw ArchiveStopped() }
                    block = b
                    block.count = 0
                }
            }
        }
    }
}

/// Thrown inside a stage when another stage failed and the queues were closed.
struct ArchiveStopped: Error {}

/// Stage 3: parses tar and writes the tree.
private struct ExtractStage: @unchecked Sendable {
    let root: String
    let options: ArchiveRestore.Options
    let full: ArchiveQueue<ArchiveBlock>
    let free: ArchiveQueue<ArchiveBlock>
    let failure: ArchiveFailure
    /// Set once the tree is extracted.
    let result: Locked<TarExtractionStats?>

    func run() throws {
        let extractor = TarExtractor(root: root, options: TarExtractor.Options(
            preserveOwnership: options.preserveOwnership, reservedTopLevelNames: ReservedNames.all, log: options.log,
            maxHeaderBytes: options.maxTarHeaderBytes))
        while let block = full.pop() {
            try extractor.feed(block.bytes)
            block.count = 0
            free.push(block)
        }
        if failure.failed { return }
        // The decode stage closes `full` only after the whole object was read at its full length
        // and the codec's frames ended cleanly: the stream is complete.
        try extractor.finish(streamComplete: true)
        result.withLock { $0 = extractor.stats }
    }
}
