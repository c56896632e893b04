/// The `chainsnap snapshot restore …` the init container runs when its plan restores: the
/// source and store arguments as the command's option groups print them back, the checks it
/// passes on (snapshot id, archive SHA-256, trusted keys, network and chain id), the target.
public struct RestoreCall: Equatable, Sendable {
    public var source: [String]
    public var snapshot: String?
    public var sha256: String?
    public var trustedKeys: String?
    public var network: String?
    public var chainId: String?
    public var allowOtherNetwork = false
    public var store: [String] = []
    public var metrics: [String] = []
    public var progressFile: String?

    public init(source: [String], snapshot: String? = nil, sha256: String? = nil, trustedKeys: String? = nil, network: String? = nil,
                chainId: String? = nil, allowOtherNetwork: Bool = false, store: [String] = [], metrics: [String] = [], progressFile: String? = nil) {
        self.source = source
        self.snapshot = snapshot
        self.sha256 = sha256
        self.trustedKeys = trustedKeys
        self.network = network
        self.chainId = chainId
        self.allowOtherNetwork = allowOtherNetwork
        self.store = store
        self.metrics = metrics
        self.progressFile = progressFile
    }

    /// The arguments after `chainsnap`, restoring into `target`.
    public func arguments(target: String) -> [String] {
        var args = ["snapshot", "restore"] + source
        if let snapshot { args += ["--snapshot", snapshot] }
        if let sha256 { args += ["--sha256", sha256] }
        if let trustedKeys { args += ["--trusted-keys", trustedKeys] }
        if let network { args += ["--network", network] }
        if let chainId { args += ["--chain-id", chainId] }
        if allowOtherNetwork { args.append("--allow-other-network") }
        args += [target] + store + metrics
        if let progressFile { args += ["--progress-file", progressFile] }
        return args
    }
}
