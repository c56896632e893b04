import Codecs
import SnapshotCore
import Stores

/// Cuts a verified block stream into compressed parts and publishes them to a bundle.
///
/// Blocks arrive one at a time (`add`, synchronous so scanners can call it); finished
/// parts wait in memory until `drain()` compresses and uploads them. The manifest is
/// written after its parts (`drain(checkpoint: true)` or `finish()`), so a killed run
/// leaves the bundle exactly as it was before, plus at most some unlisted part objects.
///
/// Appending: blocks at or below the bundle's last block are skipped (the last one must
/// have the same hash); the first new block must be the next number and name the
/// bundle's last hash as its parent, otherwise the writer refuses.
public final class BundleWriter {
    public let store: any ObjectStore
    public let network: String
    public private(set) var manifest: BundleManifest
    public let cut: PartCut
    /// Whether the bundle existed before this writer.
    public let appending: Bool
    private let level: Int
    private let workers: Int
    private let compressor: ZstdCompressor
    private var upload: (BundlePart, Task<Void, any Error>)?
    private var spare: [UInt8] = []
    private var checker: ChainLinkChecker
    private var skipUpTo: (number: UInt64, hash: Hash32)?
    /// Hashes the manifest records (each part's first and last block), to check skipped blocks.
    private var knownHashes: [UInt64: Hash32] = [:]
    private var raw: [UInt8] = []
    private var first: BlockInfo?
    private var last: BlockInfo?
    private var count = 0
    private var pending: [(first: BlockInfo, last: BlockInfo, count: Int, bytes: [UInt8])] = []
    private var manifestDirty = false
    private let log: (String) -> Void
    private let signingKey: SigningKey?
    /// The signature object of the manifest as last written (removed when a newer one replaces it).
    private var lastSignatureKey: String?
    /// Blocks skipped because the bundle already had them.
    public private(set) var skipped = 0
    /// Blocks and raw/stored bytes written by this writer.
    public private(set) var blocksWritten = 0
    public private(set) var rawBytesWritten: Int64 = 0
    public private(set) var storedBytesWritten: Int64 = 0

    /// Opens the bundle of `network` in `store` (creating it when absent). `cut` defaults to the bundle's own.
    /// With `signingKey`, every manifest written is signed (docs/RLP-BUNDLE.md, "Signatures"); a signed
    /// bundle is never extended without a key, so it cannot silently become unsigned.
    public init(store: any ObjectStore, network: String, cut: PartCut?, tool: String, level: Int = 3,
                workers: Int = 2, signingKey: SigningKey? = nil, log: @escaping (String) -> Void = { _ in }) async throws {
        try BundleManifest.checkNetworkName(network)
        try store.requireWritable()
        self.store = store
        self.network = network
        self.log = log
        self.signingKey = signingKey
        let key = BundleManifest.key(network: network)
        if try await store.head(key) != nil {
            let bytes = try await store.get(key)
            let m = try BundleManifest.decode(bytes, source: store.displayURL(for: key))
            if let s = m.signing, signingKey == nil {
                throw ChainsnapError(.untrusted, "bundle \(network) in \(store.displayURL) is signed (key \(s.keyId)); extending it unsigned would drop its signature",
                                     hint: "pass --signing-key FILE (or set \(SigningKey.environmentVariable)) with the publisher's key")
            }
            if m.signing != nil { lastSignatureKey = BundleManifest.signatureKey(network: network, manifestSHA256: SHA256Hasher.hex(bytes)) }
            try m.verifyLinks()
            manifest = m
            appending = !m.parts.isEmpty
            self.cut = cut ?? PartCut(text: m.cut) ?? .size(64 << 20)
        } else {
            let c = cut ?? .size(64 << 20)
            manifest = BundleManifest(network: network, cut: c, tool: tool, now: BundleManifest.now())
            appending = false
            self.cut = c
        }
        manifest.tool = tool
        if let lp = manifest.lastPart, let h = Hash32(hex: lp.lastHash) {
            checker = ChainLinkChecker(after: (lp.lastNumber, h))
            skipUpTo = (lp.lastNumber, h)
            for p in manifest.parts {
                knownHashes[p.firstNumber] = Hash32(hex: p.firstHash)
                knownHashes[p.lastNumber] = Hash32(hex: p.lastHash)
            }
        } else {
            checker = ChainLinkChecker()
        }
        self.level = level
        self.workers = workers
        compressor = ZstdCompressor(level: level, workers: workers)
    }

    /// The number the next block must have, when the bundle is not empty.
    public var nextNumber: UInt64? { manifest.lastPart.map { $0.lastNumber + 1 } }

    /// Adds one verified block (`raw` is its RLP). Throws on a gap or a parent-hash break.
    public func add(_ b: BlockInfo, raw bytes: UnsafeRawBufferPointer) throws {
        if let s = skipUpTo, b.number <= s.number {
            if let known = b.number == s.number ? s.hash : knownHashes[b.number], known != b.hash {
                throw ChainsnapError(.chainMismatch,
                    "block #\(b.number) is \(b.hash) here but \(known) in the bundle \(network): this is a different chain",
                    object: "block \(b.number)", hint: "export from a node on the same chain, or publish to a new --network name")
            }
            skipped += 1
            return
        }
        skipUpTo = nil
        if let br = checker.add(b) {
            let tail = manifest.lastPart.map { " (the bundle ends at #\($0.lastNumber) \($0.lastHash))" } ?? ""
            let firstNew = first == nil && pending.isEmpty && blocksWritten == 0
            throw ChainsnapError(.chainMismatch, "refusing to write a broken chain: \(br)\(firstNew ? tail : "")",
                                 object: "block \(b.number)",
                                 hint: br.kind == .numberGap ? "blocks are missing; export or split the missing range first"
                                     : "the blocks do not continue the bundle's chain; check the source node or file")
        }
        if shouldCut(before: b) { cutPart() }
        if first == nil { first = b }
        last = b
        count += 1
        raw.append(contentsOf: bytes)
    }

    private func shouldCut(before b: BlockInfo) -> Bool {
        guard let f = first else { return false }
        switch cut {
        case .blocks(let n): return count >= n
        case .size(let s): return Int64(raw.count + b.size) > s
        case .day: return UTCDay.dayNumber(b.timestamp) != UTCDay.dayNumber(f.timestamp)
        }
    }

    private func cutPart() {
        guard let f = first, let l = last else { return }
        pending.append((f, l, count, raw))
        // Reuse a drained part's buffer: fresh 64 MiB buffers cost page faults on every part.
        raw = spare
        spare = []
        raw.removeAll(keepingCapacity: true)
        first = nil
        last = nil
        count = 0
    }

    /// The first block of the part being filled, if any.
    public var openPartFirst: BlockInfo? { first }

    /// Compresses and uploads finished parts; with `checkpoint`, then writes the manifest listing them.
    ///
    /// Parts are compressed in line (zstd's own worker threads already use every core); the
    /// upload of one part overlaps the reading and compression of the next, and parts enter
    /// the manifest in order once stored.
    public func drain(checkpoint: Bool = false) async throws {
        while !pending.isEmpty {
            var p = pending.removeFirst()
            let (part, stored) = try PartJob.compress(first: p.first, last: p.last, count: p.count, raw: p.bytes, compressor)
            p.bytes.removeAll(keepingCapacity: true)
            if p.bytes.capacity > spare.capacity { spare = p.bytes }
            try await collectUpload()
            let store = self.store, key = BundleManifest.storeKey(network: network, part: part.key)
            upload = (part, Task.detached { try await store.put(key, bytes: stored) })
        }
        if checkpoint {
            try await collectUpload()
            try await writeManifest()
        }
    }

    /// Waits for the part being uploaded and lists it.
    private func collectUpload() async throws {
        guard let (part, task) = upload else { return }
        upload = nil
        try await task.value
        list(part)
    }

    private func list(_ part: BundlePart) {
        manifest.parts.append(part)
        manifestDirty = true
        blocksWritten += part.blocks
        rawBytesWritten += part.rawSize
        storedBytesWritten += part.storedSize
        log("part \(part.key): blocks #\(part.firstNumber)…#\(part.lastNumber) (\(part.blocks)), \(ByteCount.format(part.rawSize)) → \(ByteCount.format(part.storedSize))")
    }
}

/// Compressing and hashing one part.
enum PartJob {
    /// The part's manifest entry and its stored (compressed) bytes.
    static func compress(first: BlockInfo, last: BlockInfo, count: Int, raw: [UInt8], _ compressor: ZstdCompressor) throws -> (BundlePart, [UInt8]) {
        let stored = try raw.withUnsafeBytes { try compressor.compress($0) }
        let key = BundleManifest.partKey(first: first.number, last: last.number)
        let part = BundlePart(
            key: key, firstNumber: first.number, lastNumber: last.number,
            firstHash: first.hash.hex, lastHash: last.hash.hex, firstParentHash: first.parentHash.hex,
            blocks: count, firstTimestamp: first.timestamp, lastTimestamp: last.timestamp,
            firstDay: UTCDay.string(fromTimestamp: first.timestamp), lastDay: UTCDay.string(fromTimestamp: last.timestamp),
            rawSize: Int64(raw.count), rawSHA256: SHA256Hasher.hex(raw),
            storedSize: Int64(stored.count), storedSHA256: SHA256Hasher.hex(stored))
        return (part, stored)
    }
}

extension BundleWriter {
    /// Cuts the open part (unless `keepOpenPart`), uploads everything and writes the manifest.
    /// With `keepOpenPart` the unfinished part is dropped: the next run exports it again
    /// (by-day exports use this so a day's part is written once the day is over).
    public func finish(keepOpenPart: Bool = false) async throws {
        if !keepOpenPart { cutPart() } else { raw = []; first = nil; last = nil; count = 0 }
        try await drain(checkpoint: true)
    }

    private func writeManifest() async throws {
        guard manifestDirty else { return }
        try manifest.verifyLinks()
        manifest.updatedAt = BundleManifest.now()
        manifest.signing = signingKey?.info
        let bytes = try manifest.encoded()
        let key = BundleManifest.key(network: network)
        var sigKey: String?
        if let signingKey {
            // The signature first, under a name of the new bytes: readers of the old manifest still find theirs.
            let k = BundleManifest.signatureKey(network: network, manifestSHA256: SHA256Hasher.hex(bytes))
            try await store.put(k, bytes: try signingKey.sign(bytes, object: key))
            sigKey = k
        }
        try await store.put(key, bytes: bytes)
        if let old = lastSignatureKey, old != sigKey {
            do { try await store.delete(old) } catch let e as ChainsnapError where e.code == .notFound {}
        }
        lastSignatureKey = sigKey
        manifestDirty = false
    }
}
