import SnapshotCore

/// Why a job failed, as a label value with a fixed set of values (so a flood of failures
/// cannot create unbounded series): chainsnap's error categories, `none` on success, `other`
/// for anything else.
public enum FailureReason: String, Sendable, CaseIterable {
    case none, invalidArgument = "invalid_argument", io, notFound = "not_found", corrupt, unsafePath = "unsafe_path"
    case unsupportedFormat = "unsupported_format", targetNotEmpty = "target_not_empty"
    case insufficientSpace = "insufficient_space", network, http, auth, codec, cancelled, rpc
    case chainMismatch = "chain_mismatch", other

    /// The reason for `error`: a ChainsnapError's code, else `other`.
    public init(error: any Error) {
        if let e = error as? ChainsnapError {
            self = FailureReason(rawValue: e.code.name.replacingDashes()) ?? .other
        } else {
            self = .other
        }
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// The outcome of one run of a scheduled job (`snapshot create`, `rlp export`, `snapshot prune`):
/// what `JobReport` turns into metric families. Counts a job does not have stay nil and are
/// left out of the report.
public struct JobOutcome: Sendable, Equatable {
    public enum Result: String, Sendable { case success, failure }

    /// The job name (`snapshot-create`, `rlp-export`, `snapshot-prune`): the Pushgateway's `job`.
    public var job: String
    /// The network (`mainnet`…), when the job knows it: the Pushgateway's `network`.
    public var network: String?
    /// Unix seconds when the run started and finished.
    public var started: Double
    public var finished: Double
    public var result: Result = .success
    public var reason: FailureReason = .none
    public var bytesRead: Int64?
    public var bytesWritten: Int64?
    public var bytesUploaded: Int64?
    public var chunksNew: Int?
    public var chunksReused: Int?
    public var blocksExported: Int?
    public var headExported: UInt64?
    public var snapshotsRemoved: Int?

    public init(job: String, network: String?, started: Double, finished: Double? = nil) {
        self.job = job
        self.network = network
        self.started = started
        self.finished = finished ?? started
    }

    public var duration: Double { max(0, finished - started) }

    /// Marks the run failed with the reason of `error`.
    public mutating func fail(_ error: any Error) {
        result = .failure
        reason = FailureReason(error: error)
    }
}
