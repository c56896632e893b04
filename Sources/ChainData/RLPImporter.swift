import Codecs
import Foundation
import LocalFS
import NodeRPC
import SnapshotCore
import Stores

/// Settings of an import into a node.
public struct RLPImportOptions: Sendable {
    /// A folder the node can read: parts are decompressed here, imported, then deleted.
    public var workDir: String
    /// Do nothing when the node is already at or above this height; fail if the import ends below it.
    public var minHeight: UInt64?
    /// Seconds allowed for the whole import (nil: no limit).
    public var timeout: Double?
    /// Parts downloaded and decompressed ahead of the one being imported.
    public var prefetch: Int
    /// For the legacy layout: blocks per file handed to `admin_importChain`.
    public var legacyBlocksPerFile: Int
    /// When set, the bundle manifest must carry a valid signature by one of these keys.
    public var trustedKeys: TrustedKeys? = nil
    public var log: @Sendable (String) -> Void

    public init(workDir: String, minHeight: UInt64? = nil, timeout: Double? = nil, prefetch: Int = 2,
                legacyBlocksPerFile: Int = 10_000, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.workDir = workDir
        self.minHeight = minHeight
        self.timeout = timeout
        self.prefetch = prefetch
        self.legacyBlocksPerFile = legacyBlocksPerFile
        self.log = log
    }
}

/// What an import did.
public struct RLPImportReport: Sendable, Equatable {
    public var startHeight: UInt64
    public var endHeight: UInt64
    public var partsImported = 0
    public var partsSkipped = 0
    public var blocksImported: UInt64 { endHeight > startHeight ? endHeight - startHeight : 0 }
    /// True when nothing was done because the node was already at `--min-height`.
    public var alreadyAtMinHeight = false
}

/// Imports an RLP bundle (or the legacy byte-split layout) into a running node, part by part.
///
/// Reads the node's height, skips parts at or below it, downloads and decompresses the next
/// parts ahead, calls `admin_importChain` for each part in order, and after each one checks
/// that the node's head number and hash equal the part's last block. Any disagreement stops
/// the import with an error naming the part; running again continues from the node's height.
/// (geth keeps blocks imported before a failure; coreth commits a file only when all of it
/// imports, which is why parts are small.) Used by `chainsnap rlp import` and `node supervise`.
public struct RLPImporter: Sendable {
    public let node: NodeClient
    public let options: RLPImportOptions

    public init(node: NodeClient, options: RLPImportOptions) {
        self.node = node
        self.options = options
    }

    // MARK: Bundles

    /// Imports the bundle of `network` from `store`.
    public func importBundle(from store: any ObjectStore, network: String) async throws -> RLPImportReport {
        try BundleManifest.checkNetworkName(network)
        let manifest = try await BundleManifest.load(from: store, network: network, trustedKeys: options.trustedKeys)
        try manifest.verifyLinks()
        guard let firstPart = manifest.parts.first, let lastPart = manifest.parts.last else {
            throw ChainsnapError(.notFound, "bundle \(network) in \(store.displayURL) has no parts", hint: "publish parts with `chainsnap rlp split` or `rlp export` first")
        }
        let deadline = options.timeout.map { Date().addingTimeInterval($0) }
        let height = try await node.blockNumber()
        var report = RLPImportReport(startHeight: height, endHeight: height)
        if let minH = options.minHeight, height >= minH {
            options.log("node is at #\(height), at or above --min-height \(minH): nothing to import")
            report.alreadyAtMinHeight = true
            return report
        }
        try await checkSameChain(height: height, manifest: manifest)
        let todo = manifest.parts.filter { $0.lastNumber > height }
        report.partsSkipped = manifest.parts.count - todo.count
        guard let next = todo.first else {
            options.log("node is at #\(height); the bundle ends at #\(lastPart.lastNumber): nothing to import")
            try checkMinHeight(height, bundleEnd: lastPart.lastNumber)
            return report
        }
        guard next.firstNumber <= height + 1 else {
            throw ChainsnapError(.chainMismatch, "the node is at #\(height) but the bundle starts at #\(firstPart.firstNumber)",
                                 object: next.key, hint: "import the blocks before #\(next.firstNumber) first (another bundle or a snapshot)")
        }
        options.log("node is at #\(height); importing \(todo.count) part(s) #\(next.firstNumber)…#\(lastPart.lastNumber), skipping \(report.partsSkipped)")
        try FS.makeDirectories(options.workDir)

        var fetches: [Task<String, any Error>] = []
        defer { for t in fetches { t.cancel() } }
        func startFetch(_ i: Int) {
            let part = todo[i]
            let dir = options.workDir
            fetches.append(Task { try await Self.fetchPart(part, network: network, store: store, workDir: dir) })
        }
        for i in todo.indices {
            while fetches.count < min(todo.count, i + 1 + max(0, options.prefetch)) { startFetch(fetches.count) }
            let part = todo[i]
            let file: String
            do { file = try await fetches[i].value } catch {
                throw Self.partError(part, "could not be fetched", error)
            }
            try await importFile(file, name: part.key, lastNumber: part.lastNumber, lastHash: part.lastHash, deadline: deadline)
            try? FS.remove(file)
            report.partsImported += 1
            report.endHeight = part.lastNumber
        }
        report.endHeight = try await node.blockNumber()
        try checkMinHeight(report.endHeight, bundleEnd: lastPart.lastNumber)
        return report
    }

    /// Downloads, verifies and decompresses one part into the work folder; reuses a verified file already there.
    static func fetchPart(_ part: BundlePart, network: String, store: any ObjectStore, workDir: String) async throws -> String {
        let path = workDir + "/" + network + "-" + part.key.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ".zst", with: "")
        if let existing = try? FS.readFile(path), Int64(existing.count) == part.rawSize, SHA256Hasher.hex(existing) == part.rawSHA256 {
            return path
        }
        let stored = try await store.get(BundleManifest.storeKey(network: network, part: part.key))
        try Task.checkCancellation()
        guard Int64(stored.count) == part.storedSize, SHA256Hasher.hex(stored) == part.storedSHA256 else {
            throw ChainsnapError(.corrupt, "part \(part.key) in the store does not match the manifest (size \(stored.count), expected \(part.storedSize))",
                                 object: part.key, hint: "the object was damaged or replaced; re-publish the bundle")
        }
        guard part.rawSize >= 0, part.rawSize <= Int64(BundleManifest.maxPartBytes) else {
            throw ChainsnapError(.corrupt, "part \(part.key) declares \(part.rawSize) raw bytes, outside 0…\(BundleManifest.maxPartBytes)", object: part.key,
                                 hint: "the bundle manifest is corrupt or hostile; re-publish the bundle")
        }
        // The manifest's rawSize bounds the output; it is not allocated on its word alone.
        let raw = try ZstdDecompressor().decompress(stored, expectedSize: Int(part.rawSize))
        guard SHA256Hasher.hex(raw) == part.rawSHA256 else {
            throw ChainsnapError(.corrupt, "part \(part.key) decompresses to bytes whose SHA-256 is not the manifest's", object: part.key)
        }
        try FS.writeAtomically(path, bytes: raw)
        return path
    }

    /// The node's block at `height` must be the bundle's where the bundle records it.
    func checkSameChain(height: UInt64, manifest: BundleManifest) async throws {
        var expected: (String, String)?
        for p in manifest.parts {
            if p.lastNumber == height { expected = (p.lastHash, p.key); break }
            if p.firstNumber == height + 1 && height > 0 { expected = (p.firstParentHash, p.key); break }
        }
        guard let (hash, key) = expected else { return }
        guard let head = try await node.blockHead(height) else { return }
        guard head.hash.lowercased() == hash.lowercased() else {
            throw ChainsnapError(.chainMismatch, "the node's block #\(height) is \(head.hash) but the bundle has \(hash) (\(key)): the node is on a different chain",
                                 object: key, hint: "check --network and the node; a node on another chain cannot import this bundle")
        }
    }

    func checkMinHeight(_ h: UInt64, bundleEnd: UInt64) throws {
        if let minH = options.minHeight, h < minH {
            throw ChainsnapError(.notFound, "the node is at #\(h) after the import, below --min-height \(minH) (the bundle ends at #\(bundleEnd))",
                                 hint: "export more blocks into the bundle, or lower --min-height")
        }
    }

    /// `admin_importChain` of one file, then the head check.
    func importFile(_ file: String, name: String, lastNumber: UInt64, lastHash: String, deadline: Date?) async throws {
        var callTimeout: Double = 24 * 3600
        if let d = deadline {
            callTimeout = d.timeIntervalSinceNow
            guard callTimeout > 0 else {
                throw ChainsnapError(.cancelled, "the import ran out of time (--timeout) before \(name)", object: name,
                                     hint: "run again: imported parts are skipped; or raise --timeout")
            }
        }
        options.log("importing \(name) (to #\(lastNumber))")
        let ok: Bool
        do { ok = try await node.importChain(file: file, timeout: callTimeout) } catch {
            throw Self.partError(name, lastNumber, "admin_importChain failed", error)
        }
        guard ok else { throw Self.partError(name, lastNumber, "admin_importChain returned false", nil) }
        let n = try await node.blockNumber()
        guard n >= lastNumber else {
            throw ChainsnapError(.chainMismatch, "after importing \(name) the node is at #\(n), not #\(lastNumber)", object: name,
                                 hint: "the node rejected some blocks of this part; see the node's log, fix it, and run again (imported parts are skipped)")
        }
        guard let head = try await node.blockHead(lastNumber), head.hash.lowercased() == lastHash.lowercased() else {
            throw ChainsnapError(.chainMismatch, "after importing \(name) the node's block #\(lastNumber) is not \(lastHash)", object: name,
                                 hint: "the node holds a different chain; check --network and the node's data")
        }
        options.log("imported \(name): node at #\(n), hash matches")
    }

    static func partError(_ part: BundlePart, _ what: String, _ error: any Error) -> ChainsnapError {
        partError(part.key, part.lastNumber, what, error)
    }

    static func partError(_ name: String, _ last: UInt64, _ what: String, _ error: (any Error)?) -> ChainsnapError {
        if let e = error as? ChainsnapError, e.object == name { return e }
        return ChainsnapError(.rpc, "part \(name) (to #\(last)): \(what)", object: name,
                              hint: "fix the cause and run again: parts already imported are skipped",
                              underlying: error, retryable: (error as? ChainsnapError)?.isRetryable ?? false)
    }
}
