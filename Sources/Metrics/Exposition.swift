/// The Prometheus text exposition format, version 0.0.4
/// (<https://prometheus.io/docs/instrumenting/exposition_formats/>): what node-exporter's
/// textfile collector reads, what a Pushgateway accepts and what `/metrics` serves.
public enum Exposition {
    /// The `Content-Type` of the format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders families in the given order: `# HELP`, `# TYPE`, then one line per sample.
    /// Families with the same name are merged (their samples follow the first's HELP/TYPE).
    /// Labels that are not valid label names are dropped rather than producing invalid text.
    public static func render(_ families: [MetricFamily]) -> String {
        var order: [String] = []
        var byName: [String: MetricFamily] = [:]
        for f in families {
            if var existing = byName[f.name] {
                existing.samples += f.samples
                byName[f.name] = existing
            } else {
                order.append(f.name)
                byName[f.name] = f
            }
        }
        var out = ""
        for name in order {
            let f = byName[name]!
            out += "# HELP \(name) \(escapeHelp(f.help))\n"
            out += "# TYPE \(name) \(f.type.rawValue)\n"
            for s in f.samples { out += line(name, s) + "\n" }
        }
        return out
    }

    /// One sample line: `name{a="x",b="y"} value`.
    public static func line(_ name: String, _ s: Sample) -> String {
        let labels = s.labels.filter { MetricName.isValidLabel($0.0) }
        var l = name
        if !labels.isEmpty {
            l += "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        return l + " " + format(s.value)
    }

    /// HELP text: backslash and newline escaped.
    public static func escapeHelp(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    /// Label values: backslash, double quote and newline escaped.
    public static func escapeLabel(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    /// A value as Go's ParseFloat reads it: integers without exponent or fraction, `NaN`, `+Inf`, `-Inf`.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
