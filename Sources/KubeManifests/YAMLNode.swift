import Foundation

/// A small ordered YAML tree for the manifests chainsnap prints. Strings are written as
/// JSON-quoted scalars (valid YAML), so no value can change the document's structure.
public indirect enum YAMLNode: Sendable {
    case map([(String, YAMLNode)])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case bool(Bool)

    /// The document as YAML text ending in a newline.
    public var text: String {
        var out = ""
        emit(into: &out, indent: 0)
        return out
    }

    private static func quote(_ s: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let arr = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(arr.dropFirst().dropLast())
    }

    private var isEmptyCollection: Bool {
        switch self {
        case .map(let m): m.isEmpty
        case .list(let l): l.isEmpty
        default: false
        }
    }

    private var inline: String? {
        switch self {
        case .string(let s): Self.quote(s)
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        case .map(let m) where m.isEmpty: "{}"
        case .list(let l) where l.isEmpty: "[]"
        default: nil
        }
    }

    private func emit(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .map(let pairs):
            for (k, v) in pairs {
                if let s = v.inline {
                    out += "\(pad)\(k): \(s)\n"
                } else if case .list = v {
                    out += "\(pad)\(k):\n"
                    v.emit(into: &out, indent: indent)
                } else {
                    out += "\(pad)\(k):\n"
                    v.emit(into: &out, indent: indent + 2)
                }
            }
        case .list(let items):
            for item in items {
                if let s = item.inline {
                    out += "\(pad)- \(s)\n"
                } else {
                    var sub = ""
                    item.emit(into: &sub, indent: indent + 2)
                    // The first line's indentation becomes the "- " marker.
                    out += pad + "- " + sub.dropFirst(indent + 2)
                }
            }
        default:
            out += pad + (inline ?? "") + "\n"
        }
    }
}
