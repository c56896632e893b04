import Foundation
import SnapshotCore
import Yams

/// Reads YAML documents (fleet files, LuxNetwork resources, chart values) into `FleetValue` trees.
///
/// A file is untrusted input: it is read up to `maxBytes`, and the tree it expands to is
/// bounded in nodes and depth, so YAML aliases pointing at each other ("billion laughs")
/// cannot make the program build a huge tree.
public enum YAMLReading {
    public static let maxBytes = 4 << 20
    public static let maxNodes = 200_000
    public static let maxDepth = 64

    /// Every document of a YAML text; empty documents are skipped.
    public static func documents(_ text: String, source: String) throws -> [FleetValue] {
        var out: [FleetValue] = []
        do {
            var docs = try Yams.compose_all(yaml: text)
            var budget = maxNodes
            while let node = docs.next() {
                let v = try convert(node, depth: 0, budget: &budget, source: source)
                if v != .null { out.append(v) }
            }
            if let e = docs.error { throw e }
        } catch let e as ChainsnapError {
            throw e
        } catch {
            throw ChainsnapError(.corrupt, "\(source) is not valid YAML", object: source,
                                 hint: "fix the line the parser names (YAML indentation is spaces only)", underlying: error)
        }
        return out
    }

    /// The documents of a file.
    public static func file(_ path: String) throws -> [FleetValue] {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw ChainsnapError(.notFound, "cannot read \(path)", object: path, hint: "check the path (relative paths in a fleet file are relative to the fleet file)")
        }
        defer { try? h.close() }
        let data = (try? h.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else {
            throw ChainsnapError(.invalidArgument, "\(path) is larger than \(maxBytes >> 20) MiB", object: path,
                                 hint: "a fleet file, values file or LuxNetwork document is a few KiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ChainsnapError(.corrupt, "\(path) is not UTF-8 text", object: path)
        }
        return try documents(text, source: path)
    }

    /// The single document of a file (an empty file is an empty map).
    public static func single(_ path: String) throws -> FleetValue {
        let docs = try file(path)
        guard docs.count <= 1 else {
            throw ChainsnapError(.invalidArgument, "\(path) holds \(docs.count) YAML documents; one was expected", object: path)
        }
        return docs.first ?? .emptyMap
    }

    private static func convert(_ node: Node, depth: Int, budget: inout Int, source: String) throws -> FleetValue {
        budget -= 1
        guard budget >= 0, depth <= maxDepth else {
            throw ChainsnapError(.invalidArgument, "\(source) expands to more than \(maxNodes) values or \(maxDepth) levels",
                                 object: source, hint: "YAML aliases (*name) that refer to each other multiply the document: write the values out")
        }
        switch node {
        case .scalar(let s):
            switch node.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return Bool.construct(from: s).map(FleetValue.bool) ?? .string(s.string)
            case Tag.Name.int.rawValue:
                if let i = Int.construct(from: s) { return .int(i) }
                return Double.construct(from: s).map(FleetValue.double) ?? .string(s.string)
            case Tag.Name.float.rawValue: return Double.construct(from: s).map(FleetValue.double) ?? .string(s.string)
            default: return .string(s.string)
            }
        case .sequence(let seq):
            var items: [FleetValue] = []
            for n in seq { items.append(try convert(n, depth: depth + 1, budget: &budget, source: source)) }
            return .list(items)
        case .mapping(let m):
            var entries: [FleetValue.Entry] = []
            for (k, v) in m {
                guard case .scalar(let ks) = k else {
                    throw ChainsnapError(.invalidArgument, "\(source): a map key is not a plain value", object: source)
                }
                let value = try convert(v, depth: depth + 1, budget: &budget, source: source)
                if let i = entries.firstIndex(where: { $0.key == ks.string }) {
                    // Later keys win, as in Helm's YAML reader.
                    entries[i].value = value
                } else {
                    entries.append(FleetValue.Entry(ks.string, value))
                }
            }
            return .map(entries)
        }
    }
}
