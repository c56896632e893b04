/// Says where and why a JSON document failed to decode, for people: `entries[3].mode: -1 is not
/// a valid value (expected an unsigned 32-bit integer)` rather than "the data isn't in the correct format".
public enum DecodingErrorText {
    public static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .typeMismatch(let type, let c):
            return "\(path(c.codingPath)): expected \(typeName(type)) (\(c.debugDescription))"
        case .valueNotFound(let type, let c):
            return "\(path(c.codingPath)): missing \(typeName(type)) value"
        case .keyNotFound(let key, let c):
            return "\(path(c.codingPath + [key])): required field is missing"
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty { return "not valid JSON (\(c.debugDescription))" }
            return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// `entries[3].mode` from a coding path.
    public static func path(_ keys: [any CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
        }
        return s.isEmpty ? "the document" : s
    }

    static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is UInt32.Type: "an integer 0…4294967295"
        case is UInt64.Type: "an integer 0…18446744073709551615"
        case is Int64.Type, is Int.Type: "an integer within ±9223372036854775807"
        case is String.Type: "a string"
        default: "\(t)"
        }
    }
}
