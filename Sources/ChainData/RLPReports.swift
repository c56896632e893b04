import Foundation
import SnapshotCore
import Transfer

/// What the `rlp` commands print, as text and JSON, built from the library's results so the
/// wording is tested here and the commands only print it. Sources are redacted (`Redact.url`).
extension StreamSummary {
    /// `rlp inspect`: blocks, bytes, first/last block, days, header kinds, links (the first 50
    /// breaks), blocks per day and the scan rate.
    public func reportLines(source: String, seconds secs: Double) -> [String] {
        var out = ["source:   \(Redact.url(source))", "blocks:   \(blocks)", "bytes:    \(bytes) (\(ByteCount.format(bytes)))"]
        if let f = first, let l = last {
            out.append("first:    #\(f.number) \(f.hash.hex) (parent \(f.parentHash.hex))")
            out.append("last:     #\(l.number) \(l.hash.hex)")
            out.append("days:     \(days.first!.day) … \(days.last!.day) (UTC)")
        }
        let forks = headerFieldCounts.keys.sorted().map { "\($0) fields: \(headerFieldCounts[$0]!)" }
        out.append("headers:  \(forks.joined(separator: ", "))")
        out.append("links:    \(isContinuous ? "every block follows its parent" : "\(breaks.count) break(s)")")
        out += breaks.prefix(50).map { "  BREAK: \($0)" }
        if !days.isEmpty {
            out.append("per day:")
            out += days.map { "  \($0.day)  \($0.blocks) blocks  #\($0.firstNumber)…#\($0.lastNumber)" }
        }
        out.append("scanned in \(String(format: "%.2f", secs))s (\(ByteCount.formatRate(Double(bytes) / max(secs, 1e-6))))")
        return out
    }

    /// `rlp inspect --json`: `jsonObject` plus the seconds taken, pretty-printed with sorted keys.
    public func jsonReport(source: String, seconds: Double) throws -> String {
        var o = jsonObject(source: Redact.url(source))
        o["seconds"] = seconds
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}

extension PartCut {
    /// The cut asked for by `--blocks-per-part N`, `--part-size SIZE` (e.g. `64MiB`) or `--by-day`
    /// (at most one); nil when none is given: an existing bundle keeps its own, a new one takes the default.
    public static func choose(blocksPerPart: Int?, partSize: String?, byDay: Bool) throws -> PartCut? {
        let n = (blocksPerPart != nil ? 1 : 0) + (partSize != nil ? 1 : 0) + (byDay ? 1 : 0)
        if n > 1 { throw ChainsnapError(.invalidArgument, "choose one of --blocks-per-part, --part-size, --by-day") }
        if let b = blocksPerPart {
            guard b >= 1 else { throw ChainsnapError(.invalidArgument, "--blocks-per-part must be at least 1") }
            return .blocks(b)
        }
        if let text = partSize {
            let s = try ByteCount.parseOption("--part-size", text)
            guard s >= 1024 else { throw ChainsnapError(.invalidArgument, "--part-size must be at least 1KiB") }
            return .size(s)
        }
        return byDay ? .day : nil
    }
}

/// What `rlp split` did to a bundle: the blocks it read, and the writer's parts before and after.
public struct SplitReport: Sendable {
    public var network: String
    public var scanned: StreamSummary
    public var manifest: BundleManifest
    public var newParts: Int
    public var written: Int
    public var skipped: Int
    public var storedBytes: Int64
    public var seconds: Double

    public init(network: String, scanned: StreamSummary, writer: BundleWriter, partsBefore: Int, seconds: Double) {
        self.network = network
        self.scanned = scanned
        self.manifest = writer.manifest
        self.newParts = writer.manifest.parts.count - partsBefore
        self.written = writer.blocksWritten
        self.skipped = writer.skipped
        self.storedBytes = writer.storedBytesWritten
        self.seconds = seconds
    }

    /// `split N blocks (SIZE): K new part(s) in bundle NAME, now #A…#B[, M already in the bundle] in Ts (RATE)`.
    public var line: String {
        "split \(scanned.blocks) blocks (\(ByteCount.format(scanned.bytes))): \(newParts) new part(s) in bundle \(network), now #\(manifest.parts.first?.firstNumber ?? 0)…#\(manifest.lastPart?.lastNumber ?? 0)"
            + (skipped > 0 ? ", \(skipped) already in the bundle" : "")
            + " in \(String(format: "%.2f", seconds))s (\(ByteCount.formatRate(Double(scanned.bytes) / max(seconds, 1e-6))))"
    }

    /// `rlp split --json`: one line, sorted keys.
    public func jsonReport() throws -> String {
        let o: [String: Any] = ["blocks": scanned.blocks, "bytes": scanned.bytes, "written": written, "skipped": skipped,
                                "parts": manifest.parts.count, "newParts": newParts, "storedBytes": storedBytes, "seconds": seconds,
                                "lastNumber": manifest.lastPart?.lastNumber ?? 0, "lastHash": manifest.lastPart?.lastHash ?? ""]
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension BundleManifest {
    /// The header of `rlp index --csv`.
    public static let csvHeader = "network,date,first_block,last_block,blocks,first_hash,last_hash,first_timestamp,last_timestamp,raw_bytes,stored_bytes,sha256,key"

    /// `rlp index --csv`: one line per part of the bundle `network` (see `csvHeader`).
    public func csvLines(network: String) -> [String] {
        parts.map { p in
            [network, p.firstDay, String(p.firstNumber), String(p.lastNumber), String(p.blocks), p.firstHash, p.lastHash,
             String(p.firstTimestamp), String(p.lastTimestamp), String(p.rawSize), String(p.storedSize), p.storedSHA256,
             BundleManifest.storeKey(network: network, part: p.key)].joined(separator: ",")
        }
    }

    /// `rlp index`: the bundle's parts, blocks, range, cut and whether its links hold, then one line per part.
    public func summaryLines(network: String) -> [String] {
        let linked = (try? verifyLinks()) != nil
        let head = "bundle \(network): \(parts.count) part(s), \(blockCount) blocks"
            + (parts.isEmpty ? "" : " #\(parts.first!.firstNumber)…#\(parts.last!.lastNumber)")
            + ", cut \(cut), links \(linked ? "ok" : "BROKEN")"
        return [head] + parts.map { p in
            "  \(p.firstDay)  #\(p.firstNumber)…#\(p.lastNumber)  \(p.blocks) blocks  \(ByteCount.format(p.rawSize)) → \(ByteCount.format(p.storedSize))  \(p.key)"
        }
    }
}

extension RLPExportReport {
    /// `rlp export`: blocks, new parts and rate; `lastNumber` is where the bundle now ends.
    public func line(network: String, lastNumber: UInt64) -> String {
        "exported \(blocks) blocks into \(parts) new part(s) of \(network) (\(Int(blocksPerSecond)) blocks/s); bundle ends at #\(lastNumber)"
    }

    public var blocksPerSecond: Double { Double(blocks) / max(seconds, 0.001) }

    /// `rlp export --json`: one line, sorted keys.
    public func jsonReport(lastNumber: UInt64) throws -> String {
        let o: [String: Any] = ["from": from, "to": to, "blocks": blocks, "parts": parts, "rawBytes": rawBytes,
                                "storedBytes": storedBytes, "seconds": seconds, "blocksPerSecond": blocksPerSecond,
                                "lastNumber": lastNumber]
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension RLPImportReport {
    /// `rlp import`: what was imported and skipped, and the node's height before and after.
    public var line: String {
        alreadyAtMinHeight ? "node already at #\(startHeight) (>= --min-height): nothing imported"
            : "imported \(partsImported) part(s), skipped \(partsSkipped): node #\(startHeight) → #\(endHeight)"
    }

    /// `--parts aa,ab,…` of the legacy layout: the suffixes in order, blanks dropped (none: the single file).
    public static func legacyParts(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
