/// What `snapshot verify` found across the snapshots it checked (its `--json` output).
public struct VerifyReport: Encodable, Sendable {
    public var ok: Bool
    public var deep: Bool
    public var snapshots: [SnapshotCheck]

    public init(deep: Bool, snapshots: [SnapshotCheck]) {
        self.ok = snapshots.allSatisfy(\.ok)
        self.deep = deep
        self.snapshots = snapshots
    }

    /// One line per snapshot: `ID: ok (N chunks[, all hashed])`, or `ID: BROKEN: ` and what is wrong.
    public var lines: [String] { snapshots.map { $0.line(deep: deep) } }

    /// What to do when a snapshot is damaged (stderr, before exit 1).
    public static let damagedAdvice =
        "some snapshots are damaged; do not restore them (restore an older one) and re-create a fresh snapshot"
}

extension SnapshotCheck {
    /// `ID: ok (N chunks[, all hashed])`, or `ID: BROKEN: ` with each problem and an example of it.
    public func line(deep: Bool) -> String {
        if ok { return "\(id): ok (\(chunks) chunks\(deep ? ", all hashed" : ""))" }
        var why: [String] = []
        if let m = manifestError { why.append("manifest: \(m)") }
        if !missing.isEmpty { why.append("\(missing.count) chunks missing (e.g. \(missing[0]))") }
        if !wrongSize.isEmpty { why.append("\(wrongSize.count) chunks with the wrong size (e.g. \(wrongSize[0]))") }
        if !corrupt.isEmpty { why.append("\(corrupt.count) chunks corrupt (e.g. \(corrupt[0]))") }
        return "\(id): BROKEN: " + why.joined(separator: "; ")
    }
}
