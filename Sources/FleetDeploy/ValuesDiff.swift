/// The difference between two values trees, one line per changed leaf:
/// `+ path: new`, `- path: old`, `~ path: old -> new`. Lists compare as a whole.
/// URLs have their query (a presigned URL's signature) replaced by `?…` when printed.
public enum ValuesDiff {
    public static func lines(from old: FleetValue, to new: FleetValue) -> [String] {
        let a = old.leaves().filter { !$0.path.isEmpty }
        let b = new.leaves().filter { !$0.path.isEmpty }
        let oldByPath = Dictionary(a.map { ($0.path, $0.value) }, uniquingKeysWith: { $1 })
        let newPaths = Set(b.map(\.path))
        var out: [String] = []
        for (path, v) in b {
            if let o = oldByPath[path] {
                if o != v { out.append("~ \(path): \(shown(o)) -> \(shown(v))") }
            } else if !isEmptyMap(v) {
                out.append("+ \(path): \(shown(v))")
            }
        }
        for (path, v) in a where !newPaths.contains(path) && !isEmptyMap(v) {
            // A leaf of the old tree that became a map in the new one is not a removal.
            if b.contains(where: { $0.path.hasPrefix(path + ".") }) { continue }
            out.append("- \(path): \(shown(v))")
        }
        return out
    }

    static func isEmptyMap(_ v: FleetValue) -> Bool { v == .emptyMap }

    /// The value on one line, with URL queries hidden.
    public static func shown(_ v: FleetValue) -> String {
        switch v {
        case .string(let s): return FleetValue.quoted(redactingQuery(s))
        case .list(let items): return "[" + items.map(shown).joined(separator: ", ") + "]"
        default: return v.description
        }
    }

    /// `https://host/key?X-Amz-Signature=…` → `https://host/key?…`.
    public static func redactingQuery(_ s: String) -> String {
        guard s.contains("://"), let q = s.firstIndex(of: "?") else { return s }
        return String(s[..<q]) + "?…"
    }
}
