import Foundation
import SnapshotCore

/// One compressed part of an RLP bundle: a run of whole blocks, importable on its own.
public struct BundlePart: Codable, Sendable, Equatable {
    /// Key relative to the bundle folder (`parts/000000000001-000000001000.rlp.zst`).
    public var key: String
    public var firstNumber: UInt64
    public var lastNumber: UInt64
    public var firstHash: String
    public var lastHash: String
    /// The parent hash of the first block: the previous part's `lastHash`.
    public var firstParentHash: String
    public var blocks: Int
    public var firstTimestamp: UInt64
    public var lastTimestamp: UInt64
    /// UTC days (`YYYY-MM-DD`) of the first and last block timestamps.
    public var firstDay: String
    public var lastDay: String
    /// Bytes of RLP before compression and their SHA-256.
    public var rawSize: Int64
    public var rawSHA256: String
    /// Bytes stored (compressed) and their SHA-256.
    public var storedSize: Int64
    public var storedSHA256: String

    public init(key: String, firstNumber: UInt64, lastNumber: UInt64, firstHash: String, lastHash: String, firstParentHash: String,
                blocks: Int, firstTimestamp: UInt64, lastTimestamp: UInt64, firstDay: String, lastDay: String,
                rawSize: Int64, rawSHA256: String, storedSize: Int64, storedSHA256: String) {
        self.key = key
        self.firstNumber = firstNumber
        self.lastNumber = lastNumber
        self.firstHash = firstHash
        self.lastHash = lastHash
        self.firstParentHash = firstParentHash
        self.blocks = blocks
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.rawSize = rawSize
        self.rawSHA256 = rawSHA256
        self.storedSize = storedSize
        self.storedSHA256 = storedSHA256
    }
}

/// How a bundle's parts are cut.
public enum PartCut: Sendable, Equatable {
    case blocks(Int)
    case size(Int64)
    case day

    public var text: String {
        switch self {
        case .blocks(let n): "blocks:\(n)"
        case .size(let s): "size:\(s)"
        case .day: "day"
        }
    }

    public init?(text: String) {
        if text == "day" { self = .day; return }
        let parts = text.split(separator: ":")
        guard parts.count == 2 else { return nil }
        if parts[0] == "blocks", let n = Int(parts[1]), n > 0 { self = .blocks(n); return }
        if parts[0] == "size", let n = Int64(parts[1]), n > 0 { self = .size(n); return }
        return nil
    }
}

/// The bundle manifest (`rlp/<network>/manifest.json`). Its format is specified in
/// docs/RLP-BUNDLE.md; `version` is checked on read. The manifest is written last, so a
/// bundle holds exactly the parts its manifest lists.
public struct BundleManifest: Codable, Sendable, Equatable {
    public static let formatName = "chainsnap-rlp-bundle"
    /// The format version this build writes and reads (docs/RLP-BUNDLE.md).
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    public var network: String
    /// `zstd` (parts are standard zstd frames).
    public var compression: String
    /// `blocks:N`, `size:BYTES` or `day`.
    public var cut: String
    public var createdAt: String
    public var updatedAt: String
    public var tool: String
    public var parts: [BundlePart]
    /// Who signed this manifest, when it is signed (docs/RLP-BUNDLE.md, "Signatures").
    public var signing: SigningInfo?

    public init(network: String, cut: PartCut, tool: String, now: String) {
        format = Self.formatName
        version = Self.currentVersion
        self.network = network
        compression = "zstd"
        self.cut = cut.text
        createdAt = now
        updatedAt = now
        self.tool = tool
        parts = []
    }

    public var lastPart: BundlePart? { parts.last }
    public var blockCount: Int { parts.reduce(0) { $0 + $1.blocks } }

    /// Store key of the manifest of `network` (under the store's prefix).
    public static func key(network: String) -> String { "rlp/\(network)/manifest.json" }
    /// Store key of the detached signature of the manifest whose stored bytes hash to `sha256`
    /// (docs/RLP-BUNDLE.md, "Signatures"): named by content, so rewriting the manifest never
    /// leaves it beside a signature of other bytes.
    public static func signatureKey(network: String, manifestSHA256 sha256: String) -> String { "rlp/\(network)/signatures/\(sha256).sig" }
    /// Store key of a part, from its manifest-relative key.
    public static func storeKey(network: String, part: String) -> String { "rlp/\(network)/\(part)" }
    /// Manifest-relative key of the part holding blocks `first…last`.
    public static func partKey(first: UInt64, last: UInt64) -> String {
        "parts/\(pad12(first))-\(pad12(last)).rlp.zst"
    }

    static func pad12(_ v: UInt64) -> String {
        let s = String(v)
        return s.count >= 12 ? s : String(repeating: "0", count: 12 - s.count) + s
    }

    /// Checks network names: they become store key components.
    public static func checkNetworkName(_ name: String) throws {
        let ok = !name.isEmpty && name.count <= 64 && name.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 || $0 == 46
        } && name != "." && name != ".."
        guard ok else {
            throw ChainsnapError(.invalidArgument, "network name '\(name)' is not allowed",
                                 hint: "use letters, digits, '-', '_' or '.', e.g. lux-mainnet")
        }
    }

    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try e.encode(self)) + [10]
    }

    /// Decodes and checks format and version.
    public static func decode(_ bytes: [UInt8], source: String) throws -> BundleManifest {
        let m: BundleManifest
        do {
            m = try JSONDecoder().decode(BundleManifest.self, from: Data(bytes))
        } catch {
            throw ChainsnapError(.corrupt, "bundle manifest \(source) cannot be read: \(DecodingErrorText.describe(error))", object: source,
                                 hint: "the object is not a chainsnap RLP bundle manifest or is damaged", underlying: error)
        }
        guard m.format == formatName else {
            throw ChainsnapError(.unsupportedFormat, "\(source) is a '\(m.format)' document, not an RLP bundle manifest", object: source)
        }
        guard m.version <= currentVersion, m.version >= 1 else {
            throw ChainsnapError(.unsupportedFormat, "bundle manifest \(source) has format version \(m.version); this chainsnap reads up to \(currentVersion)",
                                 object: source, hint: "upgrade chainsnap to read this bundle")
        }
        return m
    }

    /// Verifies that the parts chain: numbers continue and each first parent hash is the previous last hash.
    /// Throws naming the first part that does not follow, so nothing is imported from a broken bundle.
    public func verifyLinks() throws {
        for (i, p) in parts.enumerated() {
            guard p.firstNumber <= p.lastNumber, UInt64(p.blocks) == p.lastNumber - p.firstNumber + 1 else {
                throw ChainsnapError(.corrupt, "bundle part \(p.key) says blocks #\(p.firstNumber)…#\(p.lastNumber) but holds \(p.blocks)",
                                     object: p.key, hint: "the manifest is damaged; re-create the bundle")
            }
            guard i > 0 else { continue }
            let prev = parts[i - 1]
            guard p.firstNumber == prev.lastNumber + 1 else {
                throw ChainsnapError(.chainMismatch, "bundle part \(p.key) starts at #\(p.firstNumber) but the previous part \(prev.key) ends at #\(prev.lastNumber)",
                                     object: p.key, hint: "blocks are missing from the bundle; re-export the missing range")
            }
            guard p.firstParentHash.lowercased() == prev.lastHash.lowercased() else {
                throw ChainsnapError(.chainMismatch, "broken link: part \(p.key) block #\(p.firstNumber) has parent \(p.firstParentHash), but #\(prev.lastNumber) in \(prev.key) is \(prev.lastHash)",
                                     object: p.key, hint: "the bundle mixes two chains; re-export from #\(p.firstNumber) from the right node")
            }
        }
    }

    /// ISO-8601 UTC time for `createdAt`/`updatedAt`.
    public static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
