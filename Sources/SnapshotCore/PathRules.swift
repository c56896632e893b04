/// Rules that keep a restore inside its target: manifest and archive paths are
/// relative, contain no `..`, and symlinks do not point out of the tree.
///
/// Paths are checked as bytes: Linux names are bytes, and archive names need not be UTF-8.
public enum PathRules {
    /// Checks a relative entry path; throws `.unsafePath` with the offending path.
    public static func checkEntryPath(_ path: String) throws {
        try checkEntryPath(bytes: Array(path.utf8))
    }

    /// Checks a relative entry path given as bytes (an archive's name, UTF-8 or not).
    public static func checkEntryPath(bytes path: [UInt8]) throws {
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.unsafePath, "refusing path '\(display(path))': \(why)", object: display(path),
                           hint: "the manifest or archive is malicious or corrupt; nothing was written to the target")
        }
        if path.isEmpty { throw bad("empty path") }
        if path.first == slash { throw bad("absolute path") }
        if path.contains(0) { throw bad("NUL byte in path") }
        for part in path.split(separator: slash, omittingEmptySubsequences: false) {
            if part.isEmpty { throw bad("empty path component") }
            if part.elementsEqual(dotDot) { throw bad("'..' escapes the target") }
            if part.elementsEqual(dot) { throw bad("'.' component") }
        }
    }

    /// Checks that a symlink at `linkPath` with `target` stays inside the tree once resolved.
    /// Dangling links are fine as long as they point inside.
    public static func checkSymlink(linkPath: String, target: String) throws {
        try checkSymlink(linkPath: Array(linkPath.utf8), target: Array(target.utf8))
    }

    /// `checkSymlink` on bytes (an archive's names, UTF-8 or not).
    public static func checkSymlink(linkPath: [UInt8], target: [UInt8]) throws {
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.unsafePath, "refusing symlink '\(display(linkPath))' -> '\(display(target))': \(why)",
                           object: display(linkPath), hint: "symlinks must be relative and stay inside the data folder")
        }
        if target.isEmpty { throw bad("empty target") }
        if target.first == slash { throw bad("absolute target points outside the tree") }
        if target.contains(0) { throw bad("NUL byte in target") }
        var depth = linkPath.split(separator: slash).count - 1
        var named = false
        for part in target.split(separator: slash) {
            if part.elementsEqual(dot) { continue }
            if part.elementsEqual(dotDot) {
                // `dir/..` is only the folder it looks like when `dir` is a real folder; if `dir`
                // is (or later becomes) a symlink, `..` climbs from wherever that points.
                if named { throw bad("'..' after a named component (it may climb out through a symlink)") }
                depth -= 1
                if depth < 0 { throw bad("points outside the tree") }
            } else {
                depth += 1
                named = true
            }
        }
    }

    /// Whether two relative paths are equal, or one lies inside the other (`db` and `db/x`),
    /// ignoring `.` components. Used to keep paths that may be cleared away from protected ones.
    public static func overlaps(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/").filter { $0 != "." }, y = b.split(separator: "/").filter { $0 != "." }
        let n = min(x.count, y.count)
        return Array(x.prefix(n)) == Array(y.prefix(n))
    }
    /// A path as messages show it: UTF-8 text as it is, except that control and formatting
    /// characters (newlines, escape sequences, bidi overrides) are escaped (`\n`, `\x1b`,
    /// `\u{202e}`), a backslash doubles, and each byte that is not UTF-8 shows as `\xNN`.
    /// Distinct names always display differently, and nothing reaches a terminal raw.
    public static func display(_ path: String) -> String {
        display(Array(path.utf8))
    }

    /// `display` of a name given as bytes.
    public static func display(_ bytes: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7f {
                if b == UInt8(ascii: "\\") { out += "\\\\" } else { out.unicodeScalars.append(Unicode.Scalar(b)) }
                i += 1
                continue
            }
            let len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
            if len > 1, i + len <= bytes.count {
                let seq = Array(bytes[i..<(i + len)])
                let s = String(decoding: seq, as: UTF8.self)
                if Array(s.utf8) == seq, let scalar = s.unicodeScalars.first {
                    switch scalar.properties.generalCategory {
                    case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                        out += "\\u{" + String(scalar.value, radix: 16) + "}"
                    default:
                        out.unicodeScalars.append(scalar)
                    }
                    i += len
                    continue
                }
            }
            switch b {
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            default: out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
            }
            i += 1
        }
        return out
    }

    /// The bytes as a String when they are valid UTF-8, nil otherwise.
    public static func utf8String(_ bytes: [UInt8]) -> String? {
        let s = String(decoding: bytes, as: UTF8.self)
        return s.utf8.elementsEqual(bytes) ? s : nil
    }

    private static let slash = UInt8(ascii: "/")
    private static let dot: [UInt8] = [UInt8(ascii: ".")]
    private static let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]
}
