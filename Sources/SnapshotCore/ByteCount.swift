/// Parsing and printing of byte counts: `4MiB`, `64k`, `1.5G`, `2097152`.
public enum ByteCount {
    /// Parses a size. Suffixes are binary (k/K/KiB = 1024); a bare number is bytes.
    public static func parse(_ text: String) throws -> Int64 {
        let t = text.trimmingCharacters(in: " ")
        var digits = ""
        var rest = Substring(t)
        while let c = rest.first, c.isNumber || c == "." { digits.append(c); rest = rest.dropFirst() }
        let unit = rest.lowercased().trimmingCharacters(in: " ")
        let mult: Double
        switch unit {
        case "", "b": mult = 1
        case "k", "kb", "kib": mult = 1024
        case "m", "mb", "mib": mult = 1024 * 1024
        case "g", "gb", "gib": mult = 1024 * 1024 * 1024
        case "t", "tb", "tib": mult = 1024 * 1024 * 1024 * 1024
        default: mult = -1
        }
        guard let value = Double(digits), mult > 0, value >= 0, value.isFinite else {
            throw ChainsnapError(.invalidArgument, "cannot read size '\(text)'",
                                 hint: "use a number with an optional unit, e.g. 4MiB, 512k, 2G")
        }
        let tooLarge = ChainsnapError(.invalidArgument, "size '\(text)' is too large (at most \(Int64.max) bytes, 8 EiB)",
                                      hint: "use a number with an optional unit, e.g. 4MiB, 512k, 2G")
        // Whole numbers exactly, in integer arithmetic; fractions through Double, range-checked
        // before converting (Int64(Double) traps on values it cannot hold).
        if !digits.contains(".") {
            guard let n = Int64(digits) else { throw tooLarge }
            let (v, overflow) = n.multipliedReportingOverflow(by: Int64(mult))
            guard !overflow else { throw tooLarge }
            return v
        }
        let v = value * mult
        guard v < 9.2e18 else { throw tooLarge }
        return Int64(v)
    }

    /// Formats bytes for people: `1.23 GiB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes)
        var i = 0
        while abs(v) >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) B" : String(format1: v) + " " + units[i]
    }

    /// Formats a rate in bytes per second as `123.4 MB/s` (decimal, like most transfer tools).
    public static func formatRate(_ bytesPerSecond: Double) -> String {
        String(format1: bytesPerSecond / 1_000_000) + " MB/s"
    }
}

extension String {
    /// One decimal place without Foundation's `String(format:)`.
    init(format1 v: Double) {
        let scaled = (v * 10).rounded()
        let whole = Int(scaled / 10)
        let frac = Int(abs(scaled).truncatingRemainder(dividingBy: 10))
        self = "\(scaled < 0 && whole == 0 ? "-" : "")\(whole).\(frac)"
    }

    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// Formats a duration in seconds as `1h02m03s`, `4m05s` or `12s`.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h" + pad2((s % 3600) / 60) + "m" + pad2(s % 60) + "s" }
    if s >= 60 { return "\(s / 60)m" + pad2(s % 60) + "s" }
    return "\(s)s"
}

private func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
