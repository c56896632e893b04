/// Removes credentials from URLs before they reach logs or errors.
public enum Redact {
    /// Drops user:password, and replaces query values of signature/credential parameters with `REDACTED`.
    public static func url(_ url: String) -> String {
        var s = url
        if let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") {
            let hostStart = s.index(colon, offsetBy: 3)
            let afterScheme = s[hostStart...]
            let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            if let at = afterScheme[..<hostEnd].lastIndex(of: "@") {
                s = String(s[..<hostStart]) + String(s[s.index(after: at)...])
            }
        }
        guard let q = s.firstIndex(of: "?") else { return s }
        let base = s[..<q]
        let params = s[s.index(after: q)...].split(separator: "&").map { p -> String in
            let kv = p.split(separator: "=", maxSplits: 1)
            let k = kv.first.map(String.init) ?? ""
            let lower = k.lowercased()
            if lower.contains("signature") || lower.contains("credential") || lower.contains("token")
                || lower.contains("secret") || lower == "x-amz-security-token" {
                return k + "=REDACTED"
            }
            return String(p)
        }
        return base + "?" + params.joined(separator: "&")
    }
}
