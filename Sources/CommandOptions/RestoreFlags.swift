import ArgumentParser
import Fleet
import NodeData

/// What to restore, declared once for `snapshot restore` and `node prepare-data` (which passes
/// the flags on to the `snapshot restore` it runs): the source, which snapshot, an archive's
/// expected SHA-256, the keys a manifest must be signed by, and where the progress goes.
public struct RestoreRequestFlags: ParsableArguments, Sendable {
    @OptionGroup public var source: SourceFlags
    @Option(help: ArgumentHelp("Snapshot id to restore, or 'latest' (the default: the newest).", valueName: "id"))
    public var snapshot: String?
    @Option(help: ArgumentHelp("Expected SHA-256 of an archive URL (archives only).", valueName: "hex"))
    public var sha256: String?
    @OptionGroup public var trust: TrustFlags
    @Option(help: ArgumentHelp("Write the restore's progress as one JSON object to this file, replaced while it runs.", valueName: "path"))
    public var progressFile: String?

    public init() {}

    /// The flags that apply to one kind of source only: `--snapshot` and `--trusted-keys` need a
    /// snapshot store, `--sha256` an archive. A usage error says which flag to drop, and why.
    public func checkKind(isArchive: Bool) throws {
        if isArchive {
            if let snapshot, snapshot != "latest" { throw ValidationError("--snapshot does not apply to an archive URL; drop --snapshot") }
            if trust.trustedKeys != nil {
                throw ValidationError("--trusted-keys needs a signed chainsnap snapshot; an archive carries no signature (check it with --sha256 from a trusted source instead, or restore a signed snapshot store)")
            }
        } else if sha256 != nil {
            throw ValidationError("--sha256 applies to archive restores only (snapshot chunks are always verified against their SHA-256)")
        }
    }

    /// The flags with a `fleet recover` request for this pod applied: its source replaces
    /// --from/--from-file and its snapshot --snapshot (an `rlp` request restores nothing).
    public func applying(_ recovery: RecoveryRequest?) -> RestoreRequestFlags {
        guard let recovery, recovery.mode == .restore else { return self }
        var r = self
        if let f = recovery.from { r.source.from = f; r.source.fromFile = nil }
        if let s = recovery.snapshot { r.snapshot = s }
        return r
    }

    /// The `chainsnap snapshot restore` that carries these flags and the groups passed on with them.
    public func call(network: NetworkCheckFlags, store: StoreFlags, metrics: RestoreMetricsFlags) -> RestoreCall {
        RestoreCall(source: source.arguments, snapshot: snapshot, sha256: sha256, trustedKeys: trust.trustedKeys, network: network.network,
                    chainId: network.chainId, allowOtherNetwork: network.allowOtherNetwork, store: store.arguments,
                    metrics: metrics.arguments, progressFile: progressFile)
    }
}
