/// A one-shot recovery request for this pod (`fleet recover`), as the prepare-data plan needs it:
/// which request, for which pod, whether it restores or leaves the chain to the RLP import, and
/// whether an earlier start already removed the chain data for it (a restart then resumes the
/// restore without a second wipe). Fleet's `Recovery.decide` makes it from the mounted ConfigMap
/// and the pod's record; the plan decides on it like any other input.
public struct RecoveryInput: Equatable, Sendable {
    /// How the chain comes back after the wipe.
    public enum Mode: String, Equatable, Sendable {
        /// Restore a snapshot (the request's source, else the init container's `--from`).
        case restore
        /// Leave the chain data empty: the supervisor's RLP import rebuilds it.
        case rlp
    }

    /// What the executor records in the data folder as the request is carried out.
    public enum Stage: String, Equatable, Sendable {
        /// The chain data paths were removed; the restore or import has not finished.
        case wiped
        case done
    }

    public var id: String
    public var pod: String
    public var mode: Mode
    /// False when an earlier start already removed the chain data for this request.
    public var wipe: Bool

    public init(id: String, pod: String, mode: Mode, wipe: Bool = true) {
        self.id = id
        self.pod = pod
        self.mode = mode
        self.wipe = wipe
    }

    /// `one-shot recovery request ID for pod POD`.
    public var phrase: String { "one-shot recovery request \(id) for pod \(pod)" }
}
