/// Reads an init container's log for `fleet status`'s phase column and restore marker.
public enum InitProgress {
    /// `restoring 43%, ETA 12m` from the newest restore progress line
    /// (`restore ID: 1.2 GiB / 3.0 GiB (43%), 80 MiB/s, ETA 12m`), or nil when there is none.
    public static func phase(fromLog lines: [String]) -> String? {
        for line in lines.reversed() {
            guard let r = line.range(of: "restore"), let open = line.range(of: "(", range: r.upperBound..<line.endIndex),
                  let pct = line.range(of: "%)", range: open.upperBound..<line.endIndex) else { continue }
            let number = line[open.upperBound..<pct.lowerBound]
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber }) else { continue }
            var out = "restoring \(number)%"
            if let eta = line.range(of: "ETA ", range: pct.upperBound..<line.endIndex) {
                let value = line[eta.upperBound...].prefix { !$0.isWhitespace && $0 != "," }
                if !value.isEmpty { out += ", ETA \(value)" }
            } else if line.range(of: "took ", range: pct.upperBound..<line.endIndex) != nil {
                out = "restored, finishing"
            }
            return out
        }
        return nil
    }

    /// The restore marker as `node prepare-data` reports it: `ID at TIME` from its
    /// "already restored (ID from SOURCE at TIME; …)" line, or `ID (restored this start)` from
    /// the restore's own "restored snapshot ID into …" line.
    public static func marker(fromLog lines: [String]) -> String? {
        for line in lines.reversed() {
            if let r = line.range(of: "already restored (") {
                let rest = line[r.upperBound...]
                let id = rest.prefix { !$0.isWhitespace }
                var out = String(id)
                if let at = rest.range(of: " at ") {
                    out += " at " + rest[at.upperBound...].prefix { $0 != ";" && $0 != ")" }
                }
                return out
            }
            if let r = line.range(of: "restored snapshot ") {
                let id = line[r.upperBound...].prefix { !$0.isWhitespace }
                return "\(id) (restored this start)"
            }
        }
        return nil
    }
}
