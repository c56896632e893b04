import Foundation
import SnapshotCore

/// Finds the field that made a manifest fail to decode when the JSON decoder cannot say.
///
/// Foundation's decoder reports a number outside its field's type (a mode of -1, a size past
/// Int64) as "The given data was not valid JSON" with no path. This walks the document parsed
/// leniently and names the first integer field out of range, e.g. `entries[3].mode: -1 is not
/// an integer 0…4294967295`.
enum ManifestDiagnosis {
    enum Kind { case uint32, int64, uint64 }

    static let entryFields: [String: Kind] = ["mode": .uint32, "mtimeNs": .int64, "size": .int64]
    static let extentFields: [String: Kind] = ["o": .int64, "l": .int64]
    static let chunkFields: [String: Kind] = ["size": .int64, "stored": .int64]
    static let topFields: [String: Kind] = ["version": .int64, "chunkSize": .int64]

    /// The first out-of-range integer field of `raw`, described, or nil when there is none (or `raw` is not JSON at all).
    static func describe(_ raw: [UInt8]) -> String? {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]) as? [String: Any] else { return nil }
        if let bad = check(doc, topFields, path: "") { return bad }
        if let h = (doc["source"] as? [String: Any])?["height"], let bad = check(["height": h], ["height": .uint64], path: "source.") { return bad }
        for (i, c) in ((doc["chunks"] as? [Any]) ?? []).enumerated() {
            if let c = c as? [String: Any], let bad = check(c, chunkFields, path: "chunks[\(i)].") { return bad }
        }
        for (i, e) in ((doc["entries"] as? [Any]) ?? []).enumerated() {
            guard let e = e as? [String: Any] else { continue }
            if let bad = check(e, entryFields, path: "entries[\(i)].") { return bad }
            for (j, x) in ((e["extents"] as? [Any]) ?? []).enumerated() {
                if let x = x as? [String: Any], let bad = check(x, extentFields, path: "entries[\(i)].extents[\(j)].") { return bad }
            }
        }
        return nil
    }

    static func check(_ object: [String: Any], _ fields: [String: Kind], path: String) -> String? {
        for (name, kind) in fields.sorted(by: { $0.key < $1.key }) {
            guard let n = object[name] as? NSNumber else { continue }
            let text = n.stringValue
            let ok: Bool
            switch kind {
            case .uint32: ok = UInt32(text) != nil
            case .int64: ok = Int64(text) != nil
            case .uint64: ok = UInt64(text) != nil
            }
            if !ok {
                let range = kind == .uint32 ? "an integer 0…4294967295" : kind == .int64 ? "an integer within ±9223372036854775807" : "an integer 0…18446744073709551615"
                return "\(path)\(name): \(text) is not \(range)"
            }
        }
        return nil
    }
}
