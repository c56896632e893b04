import ArgumentParser
import ChainData
import Foundation
import SnapshotCore
import Stores
import Transfer

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

/// How parts are cut (one of three).
struct RLPCutFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Cut a part every N blocks.", valueName: "n"))
    var blocksPerPart: Int?
    @Option(help: ArgumentHelp("Cut parts at about this much raw RLP (e.g. 64MiB; default for new bundles).", valueName: "size"))
    var partSize: String?
    @Flag(help: "Cut one part per UTC day of the block timestamps (the bundle is then a daily chunk index).")
    var byDay = false

    func validate() throws {
        let n = (blocksPerPart != nil ? 1 : 0) + (partSize != nil ? 1 : 0) + (byDay ? 1 : 0)
        if n > 1 { throw ValidationError("choose one of --blocks-per-part, --part-size, --by-day") }
        if let b = blocksPerPart, b < 1 { throw ValidationError("--blocks-per-part must be at least 1") }
        if let s = partSize, try parseSizeOption("--part-size", s) < 1024 { throw ValidationError("--part-size must be at least 1KiB") }
    }

    /// The cut asked for; nil keeps an existing bundle's own (or the default for a new one).
    func cut() throws -> PartCut? {
        if let b = blocksPerPart { return .blocks(b) }
        if let s = partSize {
            let v = try parseSizeOption("--part-size", s)
            guard v >= 1024 else { throw ValidationError("--part-size must be at least 1KiB") }
            return .size(v)
        }
        return byDay ? .day : nil
    }
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
            if json {
                var o = s.jsonObject(source: Redact.url(source))
                o["seconds"] = secs
                let data = try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("source:   \(Redact.url(source))")
                print("blocks:   \(s.blocks)")
                print("bytes:    \(s.bytes) (\(ByteCount.format(s.bytes)))")
                if let f = s.first, let l = s.last {
                    print("first:    #\(f.number) \(f.hash.hex) (parent \(f.parentHash.hex))")
                    print("last:     #\(l.number) \(l.hash.hex)")
                    print("days:     \(s.days.first!.day) … \(s.days.last!.day) (UTC)")
                }
                let forks = s.headerFieldCounts.keys.sorted().map { "\($0) fields: \(s.headerFieldCounts[$0]!)" }
                print("headers:  \(forks.joined(separator: ", "))")
                print("links:    \(s.isContinuous ? "every block follows its parent" : "\(s.breaks.count) break(s)")")
                for b in s.breaks.prefix(50) { print("  BREAK: \(b)") }
                if s.days.count > 1 || !s.days.isEmpty {
                    print("per day:")
                    for d in s.days { print("  \(d.day)  \(d.blocks) blocks  #\(d.firstNumber)…#\(d.lastNumber)") }
                }
                print("scanned in \(String(format: "%.2f", secs))s (\(ByteCount.formatRate(Double(s.bytes) / max(secs, 1e-6))))")
            }
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
            let secs = Date().timeIntervalSince(start)
            let newParts = writer.manifest.parts.count - partsBefore
            let line = "split \(s.blocks) blocks (\(ByteCount.format(s.bytes))): \(newParts) new part(s) in bundle \(network), now #\(writer.manifest.parts.first?.firstNumber ?? 0)…#\(writer.manifest.lastPart?.lastNumber ?? 0)"
                + (writer.skipped > 0 ? ", \(writer.skipped) already in the bundle" : "")
                + " in \(String(format: "%.2f", secs))s (\(ByteCount.formatRate(Double(s.bytes) / max(secs, 1e-6))))"
            if json {
                let o: [String: Any] = ["blocks": s.blocks, "bytes": s.bytes, "written": writer.blocksWritten, "skipped": writer.skipped,
                                        "parts": writer.manifest.parts.count, "newParts": newParts, "storedBytes": writer.storedBytesWritten, "seconds": secs,
                                        "lastNumber": writer.manifest.lastPart?.lastNumber ?? 0, "lastHash": writer.manifest.lastPart?.lastHash ?? ""]
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(line)
            }
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
            let st = try store.open(storeURL)
            let names = if let network { [network] } else { try await BundleCatalog.networks(in: st) }
            if csv { print("network,date,first_block,last_block,blocks,first_hash,last_hash,first_timestamp,last_timestamp,raw_bytes,stored_bytes,sha256,key") }
            for name in names {
                let m = try await BundleCatalog.load(name, from: st)
                if json { print(String(decoding: try m.encoded(), as: UTF8.self)); continue }
                if csv {
                    for p in m.parts {
                        print([name, p.firstDay, String(p.firstNumber), String(p.lastNumber), String(p.blocks), p.firstHash, p.lastHash,
                               String(p.firstTimestamp), String(p.lastTimestamp), String(p.rawSize), String(p.storedSize), p.storedSHA256,
                               BundleManifest.storeKey(network: name, part: p.key)].joined(separator: ","))
                    }
                    continue
                }
                let linked = (try? m.verifyLinks()) != nil
                print("bundle \(name): \(m.parts.count) part(s), \(m.blockCount) blocks" +
                      (m.parts.isEmpty ? "" : " #\(m.parts.first!.firstNumber)…#\(m.parts.last!.lastNumber)") +
                      ", cut \(m.cut), links \(linked ? "ok" : "BROKEN")")
                for p in m.parts {
                    print("  \(p.firstDay)  #\(p.firstNumber)…#\(p.lastNumber)  \(p.blocks) blocks  \(ByteCount.format(p.rawSize)) → \(ByteCount.format(p.storedSize))  \(p.key)")
                }
            }
        }
    }
}
