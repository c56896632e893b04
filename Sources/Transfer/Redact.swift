/// Removes credentials from URLs before they reach logs, errors, markers or summaries.
///
/// Query strings carry secrets under many names (`X-Amz-Signature`, Azure's `sig`, `auth_key`,
/// Akamai's `hdnts`, `key`, `password`, `token`, …), so every query value is redacted unless its
/// name is on a short allow-list of parameters known to be harmless and useful when debugging
/// (S3 multipart and listing parameters, the algorithm, date and expiry of presigned URLs).
/// A parameter without `=` is redacted whole (some CDNs put the token there), and so is a fragment.
public enum Redact {
    /// Query parameter names whose values are shown (compared case-insensitively).
    public static let harmlessParameters: Set<String> = [
        "partnumber", "uploadid", "uploads", "list-type", "prefix", "delimiter", "max-keys", "versionid",
        "x-amz-algorithm", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
        "x-goog-algorithm", "x-goog-date", "x-goog-expires", "x-goog-signedheaders",
        "expires", "se", "st", "sv",
    ]

    public static let placeholder = "REDACTED"

    /// `url` without user:password and with every non-allow-listed query value replaced by `REDACTED`.
    public static func url(_ url: String) -> String {
        var s = url
        if let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") {
            let hostStart = s.index(colon, offsetBy: 3)
            let afterScheme = s[hostStart...]
            let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
            if let at = afterScheme[..<hostEnd].lastIndex(of: "@") {
                s = String(s[..<hostStart]) + String(s[s.index(after: at)...])
            }
        }
        var fragment = ""
        if let h = s.firstIndex(of: "#") {
            fragment = "#" + placeholder
            s = String(s[..<h])
        }
        guard let q = s.firstIndex(of: "?") else { return s + fragment }
        let base = s[..<q]
        let params = s[s.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { p -> String in
            guard !p.isEmpty else { return "" }
            guard let eq = p.firstIndex(of: "=") else { return harmless(p) ? String(p) : placeholder }
            let name = p[..<eq]
            return harmless(name) ? String(p) : name + "=" + placeholder
        }
        return base + "?" + params.joined(separator: "&") + fragment
    }

    /// Every URL (a word containing `://`) inside a line of text, redacted; the rest unchanged.
    /// Used where older records (restore markers) may hold URLs redacted by earlier rules.
    public static func text(_ text: String) -> String {
        guard text.contains("://") else { return text }
        return text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.contains("://") ? url(String($0)) : String($0) }
            .joined(separator: " ")
    }

    static func harmless(_ name: Substring) -> Bool {
        harmlessParameters.contains((name.removingPercentEscapesForName()).lowercased())
    }
}

extension Substring {
    /// The name with `%2D`-style escapes of unreserved characters decoded, so `X%2DAmz%2DDate` is
    /// recognised; anything else left as it is (an unknown name stays redacted).
    fileprivate func removingPercentEscapesForName() -> String {
        guard contains("%") else { return String(self) }
        var out = ""
        var i = startIndex
        while i < endIndex {
            if self[i] == "%", let j = index(i, offsetBy: 3, limitedBy: endIndex),
               let v = UInt8(self[index(after: i)..<j], radix: 16), v < 0x80 {
                out.append(Character(Unicode.Scalar(v)))
                i = j
            } else {
                out.append(self[i])
                i = index(after: i)
            }
        }
        return out
    }
}
