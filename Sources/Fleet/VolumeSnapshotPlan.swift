import Foundation
import KubeClient
import SnapshotCore

/// The decisions of `chainsnap k8s volume-snapshot`, as values: the VolumeSnapshot's name,
/// labels and annotations, the selector that finds the ones chainsnap took of a PVC, and which
/// of those a prune deletes. No I/O.
public struct VolumeSnapshotPlan: Sendable {
    /// Annotation keys carrying where the data was when the snapshot was taken.
    public enum Key {
        public static let height = "chainsnap.io/block-height"
        public static let hash = "chainsnap.io/block-hash"
        public static let chainId = "chainsnap.io/chain-id"
        public static let network = "chainsnap.io/network"
        public static let pod = "chainsnap.io/pod"
        public static let takenAt = "chainsnap.io/taken-at"
        public static let toolVersion = "chainsnap.io/tool-version"
        /// Label: the PVC the snapshot is of (prune selects on it).
        public static let pvc = "chainsnap.io/pvc"
    }

    public var namespace: String
    public var pvc: String
    /// `spec.volumeSnapshotClassName`; nil = the cluster's default class.
    public var className: String?
    public var network: String?
    public var chainId: String?
    /// The pod whose node was asked for its head (recorded, not required).
    public var pod: String?
    /// Ready snapshots of this PVC to keep; 0 = never prune.
    public var keep: Int

    public init(namespace: String, pvc: String, className: String?, network: String?, chainId: String?, pod: String?, keep: Int) {
        self.namespace = namespace
        self.pvc = pvc
        self.className = className
        self.network = network
        self.chainId = chainId
        self.pod = pod
        self.keep = keep
    }

    /// Label values are at most 63 characters of `[A-Za-z0-9._-]`, starting and ending alphanumeric.
    public static func isLabelValue(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 63 else { return false }
        let u = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        return alnum(u.first!) && alnum(u.last!) && u.allSatisfy { alnum($0) || $0 == 45 || $0 == 46 || $0 == 95 }
    }

    /// Usage problems (exit 64 in the command): names Kubernetes would refuse.
    public func validate() throws {
        guard Self.isLabelValue(pvc), pvc == pvc.lowercased() else {
            throw ChainsnapError(.invalidArgument, "--pvc '\(pvc)' is not a PVC name chainsnap can label its snapshots with",
                                 hint: "a lowercase name of at most 63 characters (the StatefulSet's data-luxd-N)")
        }
        if let network, !Self.isLabelValue(network) {
            throw ChainsnapError(.invalidArgument, "--network '\(network)' is not a valid label value", hint: "e.g. mainnet")
        }
        guard keep >= 0 else { throw ChainsnapError(.invalidArgument, "--keep must be 0 (never prune) or more") }
    }

    /// `PVC-YYYYMMDD-HHMMSS` (UTC): sorts by time, and a second run in the same second is a 409, not an overwrite.
    public func name(at date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "\(pvc)-\(f.string(from: date))"
    }

    /// The labels that select this PVC's chainsnap snapshots (whatever network they recorded).
    public var selectorLabels: [(String, String)] {
        [("app.kubernetes.io/managed-by", "chainsnap"), ("app.kubernetes.io/component", "volume-snapshot"), (Key.pvc, pvc)]
    }

    /// The selector labels, plus the network when given.
    public var labels: [String: String] {
        var l = Dictionary(uniqueKeysWithValues: selectorLabels)
        if let network { l[Key.network] = network }
        return l
    }

    /// Finds exactly the snapshots this command took of this PVC (never anyone else's).
    public var selector: String { selectorLabels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }

    /// The object to create, with the node's head at snapshot time in its annotations.
    public func object(at date: Date, height: UInt64, hash: String) -> VolumeSnapshot {
        var meta = ObjectMeta(name: name(at: date), namespace: namespace, labels: labels)
        var a = [Key.height: String(height), Key.hash: hash, Key.takenAt: LogLines.timestamp(date), Key.toolVersion: toolVersion]
        if let chainId { a[Key.chainId] = chainId }
        if let network { a[Key.network] = network }
        if let pod { a[Key.pod] = pod }
        meta.annotations = a
        return VolumeSnapshot(metadata: meta, spec: .init(volumeSnapshotClassName: className, source: .init(persistentVolumeClaimName: pvc)))
    }

    /// Which snapshots a prune deletes: the newest `keep` ready ones (by creation time, then name)
    /// stay, with every snapshot newer than the oldest of them (one still being cut, or failed
    /// recently: someone may be looking at it); older ones go. Only snapshots that carry this
    /// plan's selector labels are considered, whatever the list holds. `keep` 0 deletes nothing.
    public func toDelete(_ all: [VolumeSnapshot]) -> [VolumeSnapshot] {
        guard keep > 0 else { return [] }
        let mine = all.filter { s in selectorLabels.allSatisfy { s.metadata.labels?[$0.0] == $0.1 } && s.metadata.deletionTimestamp == nil }
        let newestFirst = mine.sorted {
            ($0.metadata.creationTimestamp ?? "", $0.metadata.name) > ($1.metadata.creationTimestamp ?? "", $1.metadata.name)
        }
        var ready = 0
        var cut: Int?
        for (i, s) in newestFirst.enumerated() where s.status?.readyToUse == true {
            ready += 1
            if ready == keep { cut = i; break }
        }
        guard let cut else { return [] }  // fewer than `keep` ready: keep everything
        return Array(newestFirst[(cut + 1)...])
    }
}
