/// Reads samples back from Prometheus text exposition: a previous textfile, or a
/// Pushgateway's `/metrics`, so a job can carry its last success time and failure count
/// forward. Lenient (a line it cannot read is skipped) and bounded by the text it is given.
public struct ExpositionReader: Sendable {
    /// A parsed sample line.
    public struct Line: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let lines: [Line]

    public init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { Self.parse(Substring($0)) }
    }

    /// The value of the first sample named `name` whose labels include every pair of `labels`.
    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        lines.first { l in l.name == name && labels.allSatisfy { l.labels[$0.key] == $0.value } }?.value
    }

    /// Parses `name{a="x",b="y"} value [timestamp]`; nil for comments and unreadable lines.
    static func parse(_ raw: Substring) -> Line? {
        let s = Array(raw.utf8)
        var i = 0
        while i < s.count, s[i] == 32 || s[i] == 9 { i += 1 }
        guard i < s.count, s[i] != UInt8(ascii: "#") else { return nil }
        let nameStart = i
        while i < s.count, s[i] != UInt8(ascii: "{"), s[i] != 32, s[i] != 9 { i += 1 }
        let name = String(decoding: s[nameStart..<i], as: UTF8.self)
        guard MetricName.isValid(name) else { return nil }
        var labels: [String: String] = [:]
        if i < s.count, s[i] == UInt8(ascii: "{") {
            i += 1
            while true {
                while i < s.count, s[i] == 32 || s[i] == UInt8(ascii: ",") { i += 1 }
                guard i < s.count else { return nil }
                if s[i] == UInt8(ascii: "}") { i += 1; break }
                let ks = i
                while i < s.count, s[i] != UInt8(ascii: "=") { i += 1 }
                guard i + 1 < s.count, s[i + 1] == UInt8(ascii: "\"") else { return nil }
                let key = String(decoding: s[ks..<i], as: UTF8.self).trimmingSpaces()
                i += 2
                var v: [UInt8] = []
                while i < s.count, s[i] != UInt8(ascii: "\"") {
                    if s[i] == UInt8(ascii: "\\"), i + 1 < s.count {
                        i += 1
                        v.append(s[i] == UInt8(ascii: "n") ? 10 : s[i])
                    } else {
                        v.append(s[i])
                    }
                    i += 1
                }
                guard i < s.count else { return nil }
                i += 1
                labels[key] = String(decoding: v, as: UTF8.self)
            }
        }
        while i < s.count, s[i] == 32 || s[i] == 9 { i += 1 }
        let vs = i
        while i < s.count, s[i] != 32, s[i] != 9 { i += 1 }
        let text = String(decoding: s[vs..<i], as: UTF8.self)
        let value: Double? = switch text {
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        guard let value else { return nil }
        return Line(name: name, labels: labels, value: value)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
