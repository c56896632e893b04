/// The type of a metric family, as the Prometheus text format names it in its `# TYPE` line.
public enum MetricType: String, Sendable, Equatable {
    case gauge, counter, untyped
}

/// One sample of a family: its labels (in the order given) and value.
public struct Sample: Sendable, Equatable {
    public var labels: [(String, String)]
    public var value: Double

    public init(_ labels: [(String, String)] = [], _ value: Double) {
        self.labels = labels
        self.value = value
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        a.value.bitPattern == b.value.bitPattern && a.labels.count == b.labels.count
            && zip(a.labels, b.labels).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The value of label `name`, if the sample has it.
    public func label(_ name: String) -> String? { labels.first { $0.0 == name }?.1 }
}

/// A metric family: one name, one HELP text, one type, any number of samples.
///
/// Names follow Prometheus' conventions (checked by `MetricName.isValid`): `chainsnap_` prefix,
/// base units in the name (`_seconds`, `_bytes`), counters ending in `_total`.
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [Sample]

    public init(_ name: String, _ type: MetricType, _ help: String, _ samples: [Sample] = []) {
        precondition(MetricName.isValid(name), "invalid metric name \(name)")
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// A family with one unlabelled or labelled sample.
    public init(_ name: String, _ type: MetricType, _ help: String, labels: [(String, String)] = [], value: Double) {
        self.init(name, type, help, [Sample(labels, value)])
    }
}

/// Prometheus' rules for metric and label names.
public enum MetricName {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, isStart(first, colon: true) else { return false }
        return name.utf8.dropFirst().allSatisfy { isStart($0, colon: true) || ($0 >= 48 && $0 <= 57) }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, and not the reserved `__` prefix.
    public static func isValidLabel(_ name: String) -> Bool {
        guard let first = name.utf8.first, isStart(first, colon: false), !name.hasPrefix("__") else { return false }
        return name.utf8.dropFirst().allSatisfy { isStart($0, colon: false) || ($0 >= 48 && $0 <= 57) }
    }

    private static func isStart(_ c: UInt8, colon: Bool) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || (colon && c == 58)
    }
}
