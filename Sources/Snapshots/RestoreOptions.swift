import RestoreCore
import Stores

/// Options of `snapshot restore`.
public struct RestoreOptions: Sendable {
    /// A snapshot id, or nil/`latest` for the newest.
    public var snapshot: String?
    /// Replace a non-empty target.
    public var force = false
    /// Keep bytes the target already has (an older restore of the same node); fetch only the rest.
    public var reuseExisting = false
    /// Chunks fetched and written at once when the store has no parallel downloader.
    public var parallel: Int = 16
    public var memoryLimit: Int64 = 256 << 20
    public var progressInterval: Double? = nil
    public var progressFile: String? = nil
    /// Called with every progress report (a metrics textfile writer).
    public var progressObserver: (@Sendable (ProgressState) -> Void)? = nil
    public var quiet = false
    /// Seconds to wait for another run holding the target (`TargetLock`); 0 refuses at once.
    public var lockWait: Double = 0
    /// When set, the manifest must carry a valid signature by one of these keys (`--trusted-keys`).
    public var trustedKeys: TrustedKeys? = nil
    /// The network the target belongs to: a snapshot recorded from another network is refused
    /// (unless `allowOtherNetwork`). Nil: not checked.
    public var expectedNetwork: String? = nil
    /// The chain id the target belongs to (checked like `expectedNetwork`).
    public var expectedChainId: String? = nil
    public var allowOtherNetwork = false

    public init() {}
}
