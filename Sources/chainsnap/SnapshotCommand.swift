import Archives
import ArgumentParser
import Codecs
import RestoreCore
import SnapshotCore
import Snapshots
import Stores
import Transfer

/// `chainsnap snapshot …`: volume snapshots.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create, restore, list, verify and prune volume snapshots.",
        subcommands: [SnapshotCreate.self, SnapshotRestore.self, SnapshotList.self, SnapshotVerify.self, SnapshotPrune.self]
    )
}

/// `chainsnap snapshot create DIR --to STORE_URL`.
struct SnapshotCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Snapshot a data folder into a store; prints the new snapshot id on stdout.",
        discussion: "Only chunks the store lacks are written; the summary on stderr says how many bytes were written and reused."
    )

    @Argument(help: "The node's data folder.") var directory: String
    @Option(help: "Store URL: file:///path or s3://bucket/prefix.") var to: String
    @Option(help: "Network name (mainnet, testnet, …).") var network: String?
    @Option(help: "Chain id.") var chainId: String?
    @Option(help: "Block height at snapshot time.") var height: UInt64?
    @Option(help: "Block hash at that height.") var blockHash: String?
    @Option(help: ArgumentHelp("The node's base URL: record its head (eth_blockNumber, or --height, and that block's hash) in the manifest.", valueName: "url"))
    var rpc: String?
    @Option(help: ArgumentHelp("JSON-RPC path below --rpc (luxd C-chain: /ext/bc/C/rpc; geth: /).", valueName: "path"))
    var rpcPath: String = "/ext/bc/C/rpc"
    @Option(help: "Node software version.") var nodeVersion: String?
    @Option(name: .customLong("label"), help: "Free-form metadata k=v (repeatable).") var labels: [String] = []
    @Option(help: "Chunk codec.") var compression: ChunkCodec = .zstd
    @Option(help: "Compression level (zstd 1-19, default 3; lz4 0-12).") var level: Int?
    @Option(help: "Chunk size (e.g. 4MiB).") var chunkSize: String = "4MiB"
    @Option(help: "Seconds between progress lines when stderr is not a terminal.") var progressInterval: Double?
    @Flag(help: "Read and hash every file, even those whose size and mtime match the newest snapshot.") var rehash = false
    @Flag(help: "Store files that change while being read (and again when re-read) as read, with a warning, instead of failing.")
    var allowChanging = false
    @Flag(help: "Print the summary as one JSON object on stdout instead of the bare id.") var json = false
    @OptionGroup var store: StoreFlags
    @OptionGroup(title: "Metrics") var metrics: MetricsFlags

    var effectiveLevel: Int { level ?? compression.defaultLevel }
    @OptionGroup var signing: SigningFlags

    func validate() throws {
        for l in labels where !l.contains("=") || l.hasPrefix("=") {
            throw ValidationError("--label '\(l)' must look like key=value")
        }
        guard compression.levels.contains(effectiveLevel) else {
            throw ValidationError("--level \(effectiveLevel) is out of range for \(compression.rawValue): zstd takes 1-19, lz4 0-12")
        }
        _ = try parseSizeOption("--chunk-size", chunkSize)
        if let rpc, !(rpc.hasPrefix("http://") || rpc.hasPrefix("https://")) {
            throw ValidationError("--rpc '\(rpc)' must be an http:// or https:// URL, e.g. http://127.0.0.1:9650")
        }
    }

    func run() async throws {
        try await reportingErrors { try await metrics.reporting(job: "snapshot-create", network: network) { outcome in
            var o = CreateOptions()
            o.codec = compression
            o.level = effectiveLevel
            o.chunkSize = try ByteCount.parse(chunkSize)
            o.progressInterval = progressInterval
            o.reuseUnchanged = !rehash
            o.allowChanging = allowChanging
            o.signingKey = try signing.load()
            let labelMap = Dictionary(labels.map { l in
                let kv = l.split(separator: "=", maxSplits: 1)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            }, uniquingKeysWith: { _, last in last })
            var head = (height, blockHash)
            if let rpc {
                let (n, hash) = try await SnapshotCreateHead.read(rpc: rpc, rpcPath: rpcPath, height: height, blockHash: blockHash)
                head = (n, hash)
                writeStderr("recording the node's head: block \(n), hash \(hash)\n")
            }
            o.source = SourceInfo(network: network, chainId: chainId, height: head.0, blockHash: head.1,
                                  nodeVersion: nodeVersion, labels: labelMap)
            let s = try await SnapshotCreator(store: store.open(to), options: o).run(directory: directory)
            let t = s.manifest.totals
            outcome.bytesRead = t.bytes
            outcome.bytesWritten = s.newRawBytes
            outcome.bytesUploaded = s.newStoredBytes
            outcome.chunksNew = s.newChunks
            outcome.chunksReused = s.reusedChunks
            writeStderr("""
                snapshot \(s.id): \(t.files) files, \(t.dirs) folders, \(t.symlinks) symlinks, \(ByteCount.format(t.bytes))
                  wrote \(s.newChunks) new chunks: \(ByteCount.format(s.newRawBytes)) raw as \(ByteCount.format(s.newStoredBytes)) stored
                  reused \(s.reusedChunks) chunks already in the store: \(ByteCount.format(s.reusedRawBytes))\(s.zeroBytes > 0 ? "\n  skipped \(ByteCount.format(s.zeroBytes)) of all-zero regions" : "")
                  took \(formatDuration(s.seconds)) (\(ByteCount.formatRate(Double(t.bytes) / max(s.seconds, 0.001))))

                """)
            if json {
                struct Out: Encodable {
                    var id: String, files: Int, dirs: Int, symlinks: Int, bytes: Int64
                    var newChunks: Int, newRawBytes: Int64, newStoredBytes: Int64, reusedChunks: Int, reusedRawBytes: Int64, seconds: Double
                }
                try printJSON(Out(id: s.id, files: t.files, dirs: t.dirs, symlinks: t.symlinks, bytes: t.bytes, newChunks: s.newChunks,
                                  newRawBytes: s.newRawBytes, newStoredBytes: s.newStoredBytes, reusedChunks: s.reusedChunks,
                                  reusedRawBytes: s.reusedRawBytes, seconds: s.seconds))
            } else {
                print(s.id)
            }
        } }
    }
}

/// `chainsnap snapshot list STORE_URL`.
struct SnapshotList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the snapshots in a store.",
        discussion: "A snapshot whose manifest cannot be read is listed as BROKEN (with the reason) and the others still are; the exit status stays 0.")

    @Argument(help: "Store URL.") var storeURL: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var store: StoreFlags

    struct Row: Encodable {
        var id: String
        /// Why the manifest could not be read (the other fields are then absent).
        var error: String? = nil
        var createdAt: String
        var bytes: Int64
        var storedBytes: Int64
        var newBytes: Int64
        var files: Int
        var source: SourceInfo
        var compression: String
        var tool: String
    }

    func run() async throws {
        try await reportingErrors {
            let s = try store.open(storeURL)
            let catalog = SnapshotCatalog(store: s)
            var rows: [Row] = []
            var broken: [Row] = []
            for id in try await catalog.ids() {
                let m: Manifest
                do { m = try await catalog.load(id) } catch let e as ChainsnapError where e.code == .corrupt || e.code == .unsupportedFormat {
                    broken.append(Row(id: id, error: e.message + (e.underlying.map { ": \($0)" } ?? ""), createdAt: "", bytes: 0, storedBytes: 0,
                                      newBytes: 0, files: 0, source: SourceInfo(), compression: "", tool: ""))
                    rows.append(broken.last!)
                    continue
                }
                rows.append(Row(id: id, createdAt: m.createdAt, bytes: m.totals.bytes, storedBytes: m.totals.storedBytes,
                                newBytes: m.totals.newBytes, files: m.totals.files, source: m.source,
                                compression: m.compression, tool: m.tool))
            }
            if !broken.isEmpty {
                writeStderr("chainsnap: warning: \(broken.count) snapshot manifest(s) cannot be read (listed as BROKEN); do not restore them, and check the store with 'chainsnap snapshot verify'\n")
            }
            if json { try printJSONLines(rows.map(JSONRow.init)); return }
            if rows.isEmpty { writeStderr("no snapshots in \(s.displayURL)\n"); return }
            print("ID                         CREATED               SIZE        STORED      FILES  METADATA")
            for r in rows {
                if let err = r.error {
                    print(pad(r.id, 27) + "BROKEN: " + Redact.text(err).replacingOccurrences(of: "\n", with: " "))
                    continue
                }
                var meta: [String] = []
                if let n = r.source.network { meta.append("network=\(n)") }
                if let c = r.source.chainId { meta.append("chain-id=\(c)") }
                if let h = r.source.height { meta.append("height=\(h)") }
                if let b = r.source.blockHash { meta.append("hash=\(b.prefix(12))…") }
                if let v = r.source.nodeVersion { meta.append("node=\(v)") }
                for (k, v) in r.source.labels.sorted(by: { $0.key < $1.key }) { meta.append("\(k)=\(v)") }
                print(pad(r.id, 27) + pad(r.createdAt, 22) + pad(ByteCount.format(r.bytes), 12)
                      + pad(ByteCount.format(r.storedBytes), 12) + pad(String(r.files), 7) + meta.joined(separator: " "))
            }
        }
    }
}

extension SnapshotList {
    /// A row as JSON: a broken one carries only its id and the error.
    struct JSONRow: Encodable {
        var row: Row
        init(_ row: Row) { self.row = row }
        enum K: String, CodingKey { case id, error }
        func encode(to encoder: any Encoder) throws {
            guard let error = row.error else { return try row.encode(to: encoder) }
            var c = encoder.container(keyedBy: K.self)
            try c.encode(row.id, forKey: .id)
            try c.encode(error, forKey: .error)
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

/// `chainsnap snapshot verify STORE_URL [--snapshot ID] [--deep]`.
struct SnapshotVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that snapshots are complete: every chunk present with the right size; --deep also hashes every chunk.",
        discussion: "Without --snapshot every snapshot in the store is checked. Exits 1 when anything is wrong."
    )

    @Argument(help: "Store URL.") var storeURL: String
    @Option(help: "Snapshot id or 'latest' (default: all).") var snapshot: String?
    @Flag(help: "Download, decompress and hash every chunk.") var deep = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var store: StoreFlags
    @OptionGroup var trust: TrustFlags

    struct Report: Encodable { var ok: Bool; var deep: Bool; var snapshots: [SnapshotCheck] }

    func run() async throws {
        try await reportingErrors {
            let s = try store.open(storeURL)
            let catalog = SnapshotCatalog(store: s)
            let ids = snapshot == nil ? try await catalog.ids() : [try await catalog.resolve(snapshot)]
            if ids.isEmpty {
                throw ChainsnapError(.notFound, "no snapshots in \(s.displayURL)", hint: "check the store URL")
            }
            let checks = try await SnapshotVerifier(store: s, deep: deep, parallel: try store.options().connections, quiet: json,
                                                    trustedKeys: try trust.load())
                .verify(ids: ids)
            let ok = checks.allSatisfy(\.ok)
            if json {
                try printJSON(Report(ok: ok, deep: deep, snapshots: checks))
            } else {
                for c in checks {
                    if c.ok { print("\(c.id): ok (\(c.chunks) chunks\(deep ? ", all hashed" : ""))"); continue }
                    var why: [String] = []
                    if let m = c.manifestError { why.append("manifest: \(m)") }
                    if !c.missing.isEmpty { why.append("\(c.missing.count) chunks missing (e.g. \(c.missing[0]))") }
                    if !c.wrongSize.isEmpty { why.append("\(c.wrongSize.count) chunks with the wrong size (e.g. \(c.wrongSize[0]))") }
                    if !c.corrupt.isEmpty { why.append("\(c.corrupt.count) chunks corrupt (e.g. \(c.corrupt[0]))") }
                    print("\(c.id): BROKEN: " + why.joined(separator: "; "))
                }
            }
            if !ok {
                writeStderr("chainsnap: error: some snapshots are damaged; do not restore them (restore an older one) and re-create a fresh snapshot\n")
                throw ExitCode(1)
            }
        }
    }
}

/// `chainsnap snapshot prune STORE_URL --keep-last N`.
struct SnapshotPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove all but the newest N snapshots and the chunks only they used.",
        discussion: "Never removes a chunk a remaining snapshot references; leaves chunks alone while a snapshot is being created."
    )

    @Argument(help: "Store URL.") var storeURL: String
    @Option(help: "How many of the newest snapshots to keep (at least 1).") var keepLast: Int
    @Flag(help: "Only say what would be removed.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var store: StoreFlags
    @OptionGroup(title: "Metrics") var metrics: MetricsFlags

    func validate() throws {
        if keepLast < 1 { throw ValidationError("--keep-last must be at least 1") }
    }

    func run() async throws {
        try await reportingErrors { try await metrics.reporting(job: "snapshot-prune", network: nil) { outcome in
            let s = try await SnapshotPruner(store: store.open(storeURL), keepLast: keepLast, dryRun: dryRun)
                .run(log: { writeStderr($0 + "\n") })
            outcome.snapshotsRemoved = s.removedSnapshots.count
            if json { try printJSON(s) }
        } }
    }
}
