import Foundation

/// Kubernetes object-name rules (RFC 1123), checked before a name goes into a manifest.
public enum KubeNames {
    /// A DNS label: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters.
    public static func isDNSLabel(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 63, let f = s.first, let l = s.last, f.isLetter || f.isNumber, l.isLetter || l.isNumber else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// DNS labels joined by '.', at most 253 characters (PVC names may have dots).
    public static func isDNSSubdomain(_ s: String) -> Bool {
        s.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// `prefix-base` as a DNS label: dots become '-', cut to 63 characters, no trailing '-'.
    public static func label(prefix: String, _ base: String) -> String {
        var n = String((prefix + "-" + base).replacingOccurrences(of: ".", with: "-").prefix(63))
        while n.hasSuffix("-") { n.removeLast() }
        return n
    }
}
