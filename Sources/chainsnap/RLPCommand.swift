import ArgumentParser
import CommandOptions
import ChainData
import Foundation

/// `chainsnap rlp …`: RLP bundles (inspect, split, export, import, index).
struct RLPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlp",
        abstract: "Inspect, split, export and import RLP block bundles.",
        discussion: """
            A bundle is a chain's blocks as compressed RLP parts cut on block boundaries, under \
            STORE/rlp/NETWORK/ (manifest.json + parts/FIRST-LAST.rlp.zst). Format: docs/RLP-BUNDLE.md.
            """,
        subcommands: [RLPInspect.self, RLPSplit.self, RLPIndex.self, RLPExport.self, RLPImport.self]
    )
}

struct RLPInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Scan an RLP export: blocks, first/last number and hash, gaps and parent-hash breaks, blocks per day.",
        discussion: "Exit status 1 when the chain has gaps or broken links, or the stream is malformed.")

    @Argument(help: ArgumentHelp("A file (plain or .gz), or a URL (https://…/NAME, s3://bucket/KEY).", valueName: "file|url"))
    var source: String
    @Flag(help: "Print JSON.")
    var json = false
    @OptionGroup var store: StoreFlags

    func run() async throws {
        try await reportingErrors {
            let start = Date()
            let s = try await ByteInput.inspect(source, options: store.options())
            let secs = Date().timeIntervalSince(start)
            if json { print(try s.jsonReport(source: source, seconds: secs)) } else { s.reportLines(source: source, seconds: secs).forEach { print($0) } }
            if !s.isContinuous { throw ExitCode(1) }
        }
    }
}

struct RLPSplit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Cut an RLP export into zstd parts on block boundaries and publish them as a bundle.",
        discussion: """
            Every block is checked (number + 1, parent hash = previous hash) before anything is \
            published; the manifest is written last. Splitting into an existing bundle appends:
            blocks it already has are skipped and the rest must continue its last block.
            """)

    @Argument(help: ArgumentHelp("The export: a file (plain or .gz), a URL, or - for standard input (e.g. `curl …aa …ab | chainsnap rlp split - …` for a byte-split export).", valueName: "file"))
    var source: String
    @Option(help: ArgumentHelp("Store to publish to (file:///path, s3://bucket/prefix).", valueName: "store-url"))
    var to: String
    @Option(help: ArgumentHelp("Bundle name, e.g. lux-mainnet (the store folder rlp/NAME).", valueName: "name"))
    var network: String
    @OptionGroup var cut: RLPCutFlags
    @Option(help: "zstd level.")
    var level: Int = 3
    @Option(help: "zstd worker threads (0: one thread).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print the new manifest summary as JSON.")
    var json = false
    @OptionGroup var store: StoreFlags
    @OptionGroup var signing: SigningFlags

    func run() async throws {
        try await reportingErrors {
            let start = Date()
            let st = try store.open(to)
            let writer = try await BundleWriter(store: st, network: network, cut: try cut.cut(),
                                                tool: "chainsnap \(Chainsnap.version)", level: level, workers: threads,
                                                signingKey: try signing.load(), log: rlpLog)
            let partsBefore = writer.manifest.parts.count
            let s = try await RLPSplitter.split(source: source, into: writer, options: store.options())
            let report = SplitReport(network: network, scanned: s, writer: writer, partsBefore: partsBefore,
                                     seconds: Date().timeIntervalSince(start))
            print(json ? try report.jsonReport() : report.line)
        }
    }
}

struct RLPIndex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print a bundle's parts (the daily chunk index with --by-day bundles).")

    @Argument(help: ArgumentHelp("The store holding the bundle.", valueName: "store-url"))
    var storeURL: String
    @Option(help: ArgumentHelp("Bundle name; default: every bundle in the store.", valueName: "name"))
    var network: String?
    @Flag(help: "CSV: network,date,first_block,last_block,blocks,first_hash,last_hash,first_timestamp,last_timestamp,raw_bytes,stored_bytes,sha256,key")
    var csv = false
    @Flag(help: "Print the manifest(s) as JSON.")
    var json = false
    @OptionGroup var store: StoreFlags

    func run() async throws {
        try await reportingErrors {
            try await BundleCatalog.index(try store.open(storeURL), network: network, csv: csv, json: json, out: { print($0) })
        }
    }
}
