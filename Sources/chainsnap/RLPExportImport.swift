import ArgumentParser
import CommandOptions
import ChainData
import Foundation
import LocalFS

struct RLPExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Append a node's new blocks to a bundle (debug_getRawBlock in parallel batches).",
        discussion: """
            Continues after the bundle's last block unless --from is given. The first new block \
            must name the bundle's last hash as its parent, or nothing is written. Parts are \
            uploaded first and the manifest after them: a killed run leaves a consistent bundle. \
            With --by-day, the last (possibly unfinished) day is left for the next run.
            """)

    @OptionGroup var node: RLPNodeFlags
    @Option(help: ArgumentHelp("Store to publish to.", valueName: "store-url"))
    var to: String
    @Option(help: ArgumentHelp("Bundle name.", valueName: "name"))
    var network: String
    @Option(help: ArgumentHelp("First block (default: after the bundle's last, or 1).", valueName: "n"))
    var from: UInt64?
    @Option(help: ArgumentHelp("Last block to export.", valueName: "m"))
    var toBlock: UInt64?
    @Flag(help: "Export up to the node's head (minus --confirmations); the default.")
    var toHead = false
    @Option(help: ArgumentHelp("Leave this many blocks below the head out (reorg safety).", valueName: "k"))
    var confirmations: UInt64 = 0
    @Option(help: ArgumentHelp("Blocks per JSON-RPC batch.", valueName: "n"))
    var batch: Int = 100
    @Option(help: ArgumentHelp("Batches in flight.", valueName: "n"))
    var parallel: Int = 4
    @OptionGroup var cut: RLPCutFlags
    @Option(help: "zstd level.")
    var level: Int = 3
    @Flag(help: "Print a JSON summary.")
    var json = false
    @OptionGroup var store: StoreFlags
    @OptionGroup(title: "Metrics") var metrics: MetricsFlags
    @OptionGroup var signing: SigningFlags

    func validate() throws {
        if toBlock != nil && toHead { throw ValidationError("choose --to-block or --to-head, not both") }
        if batch < 1 || batch > 10_000 { throw ValidationError("--batch must be between 1 and 10000") }
        if parallel < 1 || parallel > 64 { throw ValidationError("--parallel must be between 1 and 64") }
    }

    func run() async throws {
        try await reportingErrors { try await metrics.reporting(job: "rlp-export", network: network) { outcome in
            let st = try store.open(to)
            let writer = try await BundleWriter(store: st, network: network, cut: try cut.cut(), tool: "chainsnap \(Chainsnap.version)",
                                                level: level, workers: ProcessInfo.processInfo.activeProcessorCount,
                                                signingKey: try signing.load(), log: rlpLog)
            let r = try await RLPExporter(node: node.client(), options: RLPExportOptions(
                from: from, toBlock: toBlock, confirmations: confirmations, batch: batch, parallel: parallel, log: rlpLog)).export(into: writer)
            let last = writer.manifest.lastPart?.lastNumber
            outcome.bytesRead = r.rawBytes
            outcome.bytesWritten = r.rawBytes
            outcome.bytesUploaded = r.storedBytes
            outcome.blocksExported = r.blocks
            outcome.headExported = last
            print(json ? try r.jsonReport(lastNumber: last ?? 0) : r.line(network: network, lastNumber: last ?? 0))
        } }
    }
}

struct RLPImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a bundle (or a legacy byte-split export) into a running node, part by part, with head checks.",
        discussion: """
            Parts at or below the node's height are skipped; the next parts are downloaded and \
            decompressed into --work-dir ahead of time; after each admin_importChain the node's \
            head number and hash must equal the part's last block. Running again after a failure \
            continues where it stopped.
            Legacy layout: --base-url URL --file NAME --parts aa,ab,… (NAME.aa, NAME.ab, … joined as one stream).
            """)

    @OptionGroup var node: RLPNodeFlags
    @Option(help: ArgumentHelp("Store holding the bundle.", valueName: "store-url"))
    var from: String?
    @Option(help: ArgumentHelp("Bundle name.", valueName: "name"))
    var network: String?
    @Option(help: ArgumentHelp("Legacy layout: URL of the folder holding NAME.aa, NAME.ab, …", valueName: "url"))
    var baseURL: String?
    @Option(help: ArgumentHelp("Legacy layout: the export's file name.", valueName: "name"))
    var file: String?
    @Option(help: ArgumentHelp("Legacy layout: suffixes in order, e.g. aa,ab,ac (absent: the single file NAME).", valueName: "list"))
    var parts: String?
    @Option(help: ArgumentHelp("Folder the node can read; parts are decompressed here and deleted after import.", valueName: "dir"))
    var workDir: String
    @Option(help: ArgumentHelp("Skip the import when the node is already at this height; fail if it ends below.", valueName: "n"))
    var minHeight: UInt64?
    @Option(help: ArgumentHelp("Seconds allowed for the whole import.", valueName: "seconds"))
    var timeout: Double?
    @Option(help: ArgumentHelp("Parts fetched ahead of the one importing.", valueName: "n"))
    var prefetch: Int = 2
    @Option(help: ArgumentHelp("Legacy layout: blocks per file handed to the node.", valueName: "n"))
    var blocksPerFile: Int = 10_000
    @OptionGroup var store: StoreFlags
    @OptionGroup var trust: TrustFlags

    func source() throws -> RLPImportSource {
        try asUsageError { try .choose(from: from, network: network, baseURL: baseURL, file: file, parts: parts) }
    }

    func validate() throws {
        let legacy = try source().isLegacy
        if prefetch < 0 || prefetch > 16 { throw ValidationError("--prefetch must be between 0 and 16") }
        if blocksPerFile < 1 { throw ValidationError("--blocks-per-file must be at least 1") }
        if legacy && trust.trustedKeys != nil {
            throw ValidationError("--trusted-keys needs a signed bundle (--from/--network); the legacy layout carries no signature")
        }
    }

    func run() async throws {
        try await reportingErrors {
            var io = RLPImportOptions(workDir: FS.absolute(workDir), minHeight: minHeight, timeout: timeout, prefetch: prefetch,
                                      legacyBlocksPerFile: blocksPerFile, log: rlpLog)
            io.trustedKeys = try trust.load()
            print(try await RLPImporter(node: node.client(), options: io).run(try source(), open: store.open).line)
        }
    }
}
