import SnapshotCore

/// RFC 7468 PEM framing: labelled base64 blocks. Only framing: the DER inside is OpenSSL's business.
enum PEMBlocks {
    struct Block { var label: String; var text: String }

    /// The PEM blocks of `text`, each with its label and its own complete text; anything between blocks is ignored.
    static func split(_ text: String) -> [Block] {
        var out: [Block] = []
        var current: (label: String, lines: [Substring])?
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let l = line.trimmingSpaces()
            if current == nil, l.hasPrefix("-----BEGIN "), l.hasSuffix("-----"), l.count > 16 {
                current = (String(l.dropFirst(11).dropLast(5)), [l])
            } else if var c = current {
                c.lines.append(l)
                if l == "-----END \(c.label)-----" {
                    out.append(Block(label: c.label, text: c.lines.joined(separator: "\n") + "\n"))
                    current = nil
                } else {
                    current = c
                }
            }
        }
        return out
    }

    static func encode(label: String, der: [UInt8]) -> String {
        let b64 = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[i..<j]))
            i = j
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}

/// Standard base64 (RFC 4648 §4, with padding), for signatures and PEM bodies; decoding is strict.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 15) << 2 | b2 >> 6)] : 61)
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 63)] : 61)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded base64; nil on any other character, bad padding, non-zero unused bits
    /// before the padding (a second spelling of the same bytes) or a length not a multiple of 4.
    public static func decode(_ text: String) -> [UInt8]? {
        let s = Array(text.utf8)
        guard s.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 65...90: c - 65
            case 97...122: c - 71
            case 48...57: c + 4
            case 43: 62
            case 47: 63
            default: nil
            }
        }
        var i = 0
        while i < s.count {
            let last = i + 4 == s.count
            let pad = last ? (s[i + 3] == 61 ? (s[i + 2] == 61 ? 2 : 1) : 0) : 0
            guard let a = value(s[i]), let b = value(s[i + 1]) else { return nil }
            let c = pad >= 2 ? 0 : value(s[i + 2])
            let d = pad >= 1 ? 0 : value(s[i + 3])
            guard let c, let d else { return nil }
            // The bits a padded group leaves unused must be zero: one spelling per byte string.
            if pad == 2 && b & 15 != 0 || pad == 1 && c & 3 != 0 { return nil }
            out.append(a << 2 | b >> 4)
            if pad < 2 { out.append((b & 15) << 4 | c >> 2) }
            if pad < 1 { out.append((c & 3) << 6 | d) }
            i += 4
        }
        return out
    }
}
