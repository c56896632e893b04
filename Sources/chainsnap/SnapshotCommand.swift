import ArgumentParser
import Codecs
import CommandOptions
import NodeRPC
import RestoreCore
import SnapshotCore
import Snapshots

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

    @OptionGroup var signing: SigningFlags

    func validate() throws {
        _ = try asUsageError { try KeyValueOption.parse(labels, flag: "--label") }
        _ = try asUsageError { try compression.checkedLevel(level) }
        _ = try parseSizeOption("--chunk-size", chunkSize)
        if let rpc { try checkHTTPURL("--rpc", rpc, example: localNodeURLExample) }
    }

    func run() async throws {
        try await reportingErrors { try await metrics.reporting(job: "snapshot-create", network: network) { outcome in
            var o = CreateOptions()
            o.codec = compression
            o.level = try compression.checkedLevel(level)
            o.chunkSize = try ByteCount.parse(chunkSize)
            o.progressInterval = progressInterval
            o.reuseUnchanged = !rehash
            o.allowChanging = allowChanging
            o.signingKey = try signing.load()
            var head = (height, blockHash)
            if let rpc {
                let h = try await NodeClient(endpoints: NodeEndpoints(baseURL: rpc, rpcPath: rpcPath), timeout: 30)
                    .headToRecord(height: height, blockHash: blockHash)
                head = (h.number, h.hash)
                writeStderr("recording the node's head: block \(h.number), hash \(h.hash)\n")
            }
            o.source = SourceInfo(network: network, chainId: chainId, height: head.0, blockHash: head.1,
                                  nodeVersion: nodeVersion, labels: try KeyValueOption.parse(labels, flag: "--label"))
            let s = try await SnapshotCreator(store: store.open(to), options: o).run(directory: directory)
            outcome.bytesRead = s.manifest.totals.bytes
            outcome.bytesWritten = s.newRawBytes
            outcome.bytesUploaded = s.newStoredBytes
            outcome.chunksNew = s.newChunks
            outcome.chunksReused = s.reusedChunks
            writeStderr(s.report)
            if json { try printJSON(s.jsonReport) } else { print(s.id) }
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

    func run() async throws {
        try await reportingErrors {
            let s = try store.open(storeURL)
            let listing = try await SnapshotListing.load(SnapshotCatalog(store: s))
            if let warning = listing.brokenWarning { writeStderr("chainsnap: warning: \(warning)\n") }
            if json { try printJSONLines(listing.rows.map(\.json)); return }
            if listing.rows.isEmpty { writeStderr("no snapshots in \(s.displayURL)\n"); return }
            print(SnapshotListing.header)
            for r in listing.rows { print(r.tableLine) }
        }
    }
}

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
            let report = VerifyReport(deep: deep, snapshots: checks)
            if json { try printJSON(report) } else { report.lines.forEach { print($0) } }
            if !report.ok {
                writeStderr("chainsnap: error: \(VerifyReport.damagedAdvice)\n")
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
