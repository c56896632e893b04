import Codecs
import Foundation
import LocalFS
import NodeRPC
import SnapshotCore
import Stores

extension RLPImporter {
    /// Imports the legacy layout: one export split by bytes into `NAME.aa`, `NAME.ab`, … under `base`
    /// (no parts: the single object `NAME`).
    ///
    /// The pieces are read in order as one stream (8 MiB ranged reads, `prefetch` of them
    /// ahead, gunzipped if the stream is gzip) and re-cut on block boundaries into files of `legacyBlocksPerFile` blocks in the
    /// work folder; blocks at or below the node's height are skipped (the block at the height
    /// must have the node's hash), every block must follow the previous one, and each file is
    /// imported and head-checked before the next is written. No full copy lands on disk.
    public func importLegacy(from base: any ObjectStore, file: String, parts: [String]) async throws -> RLPImportReport {
        let keys = parts.isEmpty ? [file] : parts.map { "\(file).\($0)" }
        // Check every piece exists before touching the node.
        var sizes: [Int64] = []
        for k in keys {
            guard let info = try await base.head(k) else {
                throw ChainsnapError(.notFound, "legacy part \(k) is missing from \(base.displayURL)", object: k,
                                     hint: "check --base-url, --file and --parts")
            }
            sizes.append(info.size)
        }
        let deadline = options.timeout.map { Date().addingTimeInterval($0) }
        let height = try await node.blockNumber()
        var report = RLPImportReport(startHeight: height, endHeight: height)
        if let minH = options.minHeight, height >= minH {
            options.log("node is at #\(height), at or above --min-height \(minH): nothing to import")
            report.alreadyAtMinHeight = true
            return report
        }
        let nodeHash = try await node.blockHead(height).flatMap { Hash32(hex: $0.hash) }
        try FS.makeDirectories(options.workDir)
        options.log("node is at #\(height); reading \(keys.count) legacy part(s) of \(file)")

        let cutter = LegacyCutter(height: height, nodeHash: nodeHash, blocksPerFile: max(1, options.legacyBlocksPerFile))
        let scanner = RLPBlockScanner()
        var gunzip: GzipStreamDecompressor?
        var firstBytes = true
        var fileIndex = 0
        // Every ranged read in stream order; a few are fetched ahead while earlier ones are scanned and imported.
        var chunks: [(key: String, range: Range<Int64>)] = []
        for (k, size) in zip(keys, sizes) {
            var off: Int64 = 0
            while off < size {
                let end = min(off + Int64(ByteInput.chunkSize), size)
                chunks.append((k, off..<end))
                off = end
            }
        }
        var fetches: [Task<[UInt8], any Error>] = []
        defer { for t in fetches { t.cancel() } }
        for (i, chunk) in chunks.enumerated() {
            while fetches.count < min(chunks.count, i + 1 + max(0, options.prefetch)) {
                let c = chunks[fetches.count]
                fetches.append(Task { try await base.get(c.key, range: c.range) })
            }
            let bytes = try await fetches[i].value
            fetches[i] = Task { [] }
            let k = chunk.key
            guard Int64(bytes.count) == chunk.range.count else {
                throw ChainsnapError(.corrupt, "legacy part \(k): read \(bytes.count) bytes at offset \(chunk.range.lowerBound), expected \(chunk.range.count)",
                                     object: k, hint: "the object changed or is incomplete; check the mirror and run again", retryable: true)
            }
            try bytes.withUnsafeBytes { piece in
                if firstBytes {
                    firstBytes = false
                    if GzipStreamDecompressor.isGzip(piece) { gunzip = GzipStreamDecompressor() }
                }
                do {
                    if let g = gunzip {
                        try g.feed(piece) { try scanner.feed($0) { b, raw in try cutter.add(b, raw) } }
                    } else {
                        try scanner.feed(piece) { b, raw in try cutter.add(b, raw) }
                    }
                } catch let e as ChainsnapError {
                    var e2 = e
                    e2.message = "legacy part \(k): " + e.message
                    throw e2
                }
            }
            for f in cutter.takeReady() {
                fileIndex += 1
                try await importCut(f, index: fileIndex, file: file, deadline: deadline, report: &report)
            }
        }
        try gunzip?.finish()
        try scanner.finish()
        cutter.flush()
        for f in cutter.takeReady() {
            fileIndex += 1
            try await importCut(f, index: fileIndex, file: file, deadline: deadline, report: &report)
        }
        report.endHeight = try await node.blockNumber()
        if let last = cutter.lastSeen { try checkMinHeight(report.endHeight, bundleEnd: last) }
        return report
    }

    private func importCut(_ f: LegacyCutter.Ready, index: Int, file: String, deadline: Date?, report: inout RLPImportReport) async throws {
        let name = "\(file) blocks #\(f.first)…#\(f.last)"
        let path = options.workDir + "/\(file).import-\(f.first)-\(f.last).rlp"
        try FS.writeAtomically(path, bytes: f.bytes)
        defer { try? FS.remove(path) }
        try await importFile(path, name: name, lastNumber: f.last, lastHash: f.lastHash.hex, deadline: deadline)
        report.partsImported += 1
        report.endHeight = f.last
    }
}

/// Re-cuts a legacy stream into block-aligned import files, skipping what the node has.
final class LegacyCutter {
    struct Ready { var first: UInt64; var last: UInt64; var lastHash: Hash32; var bytes: [UInt8] }

    let height: UInt64
    let nodeHash: Hash32?
    let blocksPerFile: Int
    private var checker: ChainLinkChecker
    private var buf: [UInt8] = []
    private var first: UInt64 = 0
    private var last: BlockInfo?
    private var count = 0
    private var ready: [Ready] = []
    private(set) var lastSeen: UInt64?
    private var started = false

    init(height: UInt64, nodeHash: Hash32?, blocksPerFile: Int) {
        self.height = height
        self.nodeHash = nodeHash
        self.blocksPerFile = blocksPerFile
        checker = ChainLinkChecker(after: nodeHash.map { (height, $0) })
    }

    func add(_ b: BlockInfo, _ raw: UnsafeRawBufferPointer) throws {
        lastSeen = b.number
        if b.number <= height {
            if b.number == height, let h = nodeHash, h != b.hash {
                throw ChainsnapError(.chainMismatch, "the node's block #\(height) is \(h) but the export has \(b.hash): the node is on a different chain",
                                     object: "block \(height)", hint: "check the export and the node")
            }
            return
        }
        if !started && nodeHash == nil {
            // The node is at genesis (or reported no hash): accept the first block as the start.
            checker = ChainLinkChecker()
        }
        started = true
        if let br = checker.add(b) {
            throw ChainsnapError(.chainMismatch, "refusing to import a broken chain: \(br)", object: "block \(b.number)",
                                 hint: "the export is damaged or parts are missing or out of order (check --parts)")
        }
        if count == 0 { first = b.number }
        buf.append(contentsOf: raw)
        last = b
        count += 1
        if count >= blocksPerFile { flush() }
    }

    func flush() {
        guard count > 0, let l = last else { return }
        ready.append(Ready(first: first, last: l.number, lastHash: l.hash, bytes: buf))
        buf = []
        count = 0
    }

    func takeReady() -> [Ready] {
        defer { ready = [] }
        return ready
    }
}
