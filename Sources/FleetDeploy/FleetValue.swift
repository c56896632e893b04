import SnapshotCore

/// A YAML/JSON value as Helm sees it: the tree of a values file, with map keys kept in
/// document order (so printed values and diffs read like the files they came from).
public indirect enum FleetValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([FleetValue])
    case map([Entry])

    /// One key of a map.
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: FleetValue
        public init(_ key: String, _ value: FleetValue) {
            self.key = key
            self.value = value
        }
    }

    /// An empty map.
    public static let emptyMap = FleetValue.map([])

    public subscript(key: String) -> FleetValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The value at a dotted path of map keys (`initMode.from`), nil when a step is missing.
    public func at(_ path: [String]) -> FleetValue? {
        var v: FleetValue? = self
        for k in path { v = v?[k] }
        return v
    }

    public var mapEntries: [Entry]? {
        if case .map(let e) = self { return e }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Sets `value` at a path of map keys, creating maps on the way (a non-map on the way is replaced).
    public mutating func set(_ path: [String], _ value: FleetValue) {
        guard let first = path.first else {
            self = value
            return
        }
        var entries = mapEntries ?? []
        if let i = entries.firstIndex(where: { $0.key == first }) {
            entries[i].value.set(Array(path.dropFirst()), value)
        } else {
            var child = FleetValue.emptyMap
            child.set(Array(path.dropFirst()), value)
            entries.append(Entry(first, child))
        }
        self = .map(entries)
    }

    /// Helm's merge of a later values file over an earlier one: maps merge key by key, a
    /// `null` removes the key, anything else replaces the earlier value (lists are not merged).
    public func merged(with over: FleetValue) -> FleetValue {
        guard case .map(var base) = self, case .map(let top) = over else { return over }
        for e in top {
            let i = base.firstIndex { $0.key == e.key }
            if e.value == .null {
                if let i { base.remove(at: i) }
            } else if let i {
                base[i].value = base[i].value.merged(with: e.value)
            } else {
                base.append(Entry(e.key, e.value.droppingNulls()))
            }
        }
        return .map(base)
    }

    private func droppingNulls() -> FleetValue {
        guard case .map(let entries) = self else { return self }
        return .map(entries.filter { $0.value != .null }.map { Entry($0.key, $0.value.droppingNulls()) })
    }

    /// The leaves of the tree as (dotted path, value): scalars, lists, and empty maps.
    public func leaves(prefix: String = "") -> [(path: String, value: FleetValue)] {
        guard case .map(let entries) = self, !entries.isEmpty else { return [(prefix, self)] }
        return entries.flatMap { e in e.value.leaves(prefix: prefix.isEmpty ? e.key : prefix + "." + e.key) }
    }

    /// The value on one line, JSON-style (strings quoted).
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return FleetValue.quoted(s)
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.map { FleetValue.quoted($0.key) + ": " + $0.value.description }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string literal, which is also a valid YAML double-quoted scalar.
    static func quoted(_ s: String) -> String { "\"" + jsonEscaped(s) + "\"" }

    /// The tree as a YAML document (block style; strings always double-quoted, so no value
    /// changes type on the way back through a YAML parser).
    public func yaml() -> String {
        var out = ""
        emit(into: &out, indent: 0)
        return out
    }

    private func emit(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .map(let entries) where !entries.isEmpty:
            for e in entries {
                out += pad + FleetValue.yamlKey(e.key) + ":"
                e.value.emitChild(into: &out, indent: indent)
            }
        case .list(let items) where !items.isEmpty:
            for item in items {
                out += pad + "-"
                switch item {
                case .map(let m) where !m.isEmpty:
                    var sub = ""
                    item.emit(into: &sub, indent: indent + 2)
                    out += " " + sub.dropFirst(indent + 2)
                case .list(let l) where !l.isEmpty:
                    out += "\n"
                    item.emit(into: &out, indent: indent + 2)
                default:
                    out += " " + item.description + "\n"
                }
            }
        default:
            out += pad + description + "\n"
        }
    }

    private func emitChild(into out: inout String, indent: Int) {
        switch self {
        case .map(let m) where !m.isEmpty:
            out += "\n"
            emit(into: &out, indent: indent + 2)
        case .list(let l) where !l.isEmpty:
            out += "\n"
            emit(into: &out, indent: indent + 2)
        default:
            out += " " + description + "\n"
        }
    }

    static func yamlKey(_ k: String) -> String {
        let plain = !k.isEmpty && k.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        } && !["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"].contains(k.lowercased())
            && Double(k) == nil
        return plain ? k : quoted(k)
    }
}
