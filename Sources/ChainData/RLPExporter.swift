import Codecs
import Foundation
import NodeRPC
import SnapshotCore

/// Settings of an export from a node.
public struct RLPExportOptions: Sendable {
    /// First block; default: the block after the bundle's last, or 1 for a new bundle.
    public var from: UInt64?
    /// Last block; default: the node's head minus `confirmations`.
    public var toBlock: UInt64?
    /// Blocks below the head left out (reorg safety).
    public var confirmations: UInt64
    /// Blocks per JSON-RPC batch of `debug_getRawBlock`.
    public var batch: Int
    /// Batches in flight.
    public var parallel: Int
    public var log: @Sendable (String) -> Void

    public init(from: UInt64? = nil, toBlock: UInt64? = nil, confirmations: UInt64 = 0, batch: Int = 100, parallel: Int = 4,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.from = from
        self.toBlock = toBlock
        self.confirmations = confirmations
        self.batch = batch
        self.parallel = parallel
        self.log = log
    }
}

/// What an export did.
public struct RLPExportReport: Sendable {
    public var from: UInt64
    public var to: UInt64
    public var blocks: Int
    public var parts: Int
    public var rawBytes: Int64
    public var storedBytes: Int64
    public var seconds: Double
}

/// Fetches raw blocks from a node (`debug_getRawBlock`, batched, several batches in flight)
/// and appends them to a bundle through a `BundleWriter`, which checks every link and
/// refuses blocks that do not continue the bundle. Parts are uploaded as they fill and the
/// manifest is rewritten after them, so a killed export leaves a consistent bundle.
public struct RLPExporter {
    public let node: NodeClient
    public let options: RLPExportOptions

    public init(node: NodeClient, options: RLPExportOptions) {
        self.node = node
        self.options = options
    }

    public func export(into writer: BundleWriter) async throws -> RLPExportReport {
        let start = Date()
        let from = options.from ?? writer.nextNumber ?? 1
        if let next = writer.nextNumber, from > next {
            throw ChainsnapError(.invalidArgument, "--from \(from) would leave a gap: the bundle ends at #\(next - 1)",
                                 hint: "omit --from to continue the bundle, or use a new --network name")
        }
        let to: UInt64
        if let t = options.toBlock {
            to = t
        } else {
            let head = try await node.blockNumber()
            guard head >= options.confirmations else {
                return RLPExportReport(from: from, to: from, blocks: 0, parts: 0, rawBytes: 0, storedBytes: 0, seconds: 0)
            }
            to = head - options.confirmations
        }
        guard to >= from else {
            options.log("nothing to export: next block #\(from), last exportable #\(to)")
            try await writer.finish()
            return RLPExportReport(from: from, to: to, blocks: 0, parts: 0, rawBytes: 0, storedBytes: 0, seconds: 0)
        }
        options.log("exporting blocks #\(from)…#\(to) in batches of \(options.batch), \(options.parallel) in flight")
        let partsBefore = writer.manifest.parts.count
        let batch = UInt64(max(1, options.batch))
        let batches = Int((to - from) / batch) + 1
        let client = node
        func fetch(_ i: Int) -> Task<[[UInt8]], any Error> {
            let lo = from + UInt64(i) * batch
            let hi = min(to, lo + batch - 1)
            return Task { try await Self.fetchWithRetry(client, Array(lo...hi)) }
        }
        var inflight: [Int: Task<[[UInt8]], any Error>] = [:]
        defer { for t in inflight.values { t.cancel() } }
        var nextToStart = 0
        for i in 0..<batches {
            while nextToStart < batches && nextToStart < i + max(1, options.parallel) {
                inflight[nextToStart] = fetch(nextToStart)
                nextToStart += 1
            }
            let blocks = try await inflight[i]!.value
            inflight[i] = nil
            let lo = from + UInt64(i) * batch
            for (j, raw) in blocks.enumerated() {
                let want = lo + UInt64(j)
                try raw.withUnsafeBytes { r in
                    guard let base = r.baseAddress, r.count > 0 else {
                        throw ChainsnapError(.rpc, "debug_getRawBlock(\(want)) returned an empty block")
                    }
                    let info = try RLPBlockScanner.parseBlock(base, count: r.count, offset: 0)
                    guard info.number == want else {
                        throw ChainsnapError(.rpc, "debug_getRawBlock(\(want)) returned block #\(info.number)",
                                             hint: "the node answered with the wrong block; check the RPC endpoint")
                    }
                    try writer.add(info, raw: r)
                }
            }
            try await writer.drain(checkpoint: true)
        }
        try await writer.finish(keepOpenPart: writer.cut == .day)
        let secs = Date().timeIntervalSince(start)
        let written = writer.blocksWritten
        options.log("exported \(written) blocks in \(String(format: "%.1f", secs))s (\(Int(Double(written) / max(secs, 0.001))) blocks/s)")
        return RLPExportReport(from: from, to: to, blocks: written, parts: writer.manifest.parts.count - partsBefore,
                               rawBytes: writer.rawBytesWritten, storedBytes: writer.storedBytesWritten, seconds: secs)
    }

    /// One batch, retried a few times on retryable faults.
    static func fetchWithRetry(_ client: NodeClient, _ numbers: [UInt64]) async throws -> [[UInt8]] {
        var attempt = 0
        while true {
            do { return try await client.rawBlocks(numbers) } catch let e as ChainsnapError where e.isRetryable && attempt < 4 {
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64(200_000_000) << UInt64(attempt))
            }
        }
    }
}
