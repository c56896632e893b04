/// `s` as the inside of a JSON string: quotes and backslashes escaped, `\n` `\r` `\t` by name,
/// other C0 control characters and DEL as `\u00XX`. The result, in double quotes, is also a
/// valid YAML double-quoted scalar (YAML allows no raw DEL there), so progress JSON and the
/// YAML values chainsnap writes share this one escaper.
public func jsonEscaped(_ s: String) -> String {
    var o = ""
    for c in s.unicodeScalars {
        switch c {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case "\n": o += "\\n"
        case "\r": o += "\\r"
        case "\t": o += "\\t"
        case _ where c.value < 0x20 || c.value == 0x7f:
            let h = String(c.value, radix: 16)
            o += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        default: o.unicodeScalars.append(c)
        }
    }
    return o
}
