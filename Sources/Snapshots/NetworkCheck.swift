import SnapshotCore

/// A restore into a node of one network must not quietly use another network's data: a testnet
/// snapshot in a mainnet pod would start a node that cannot join its network.
public enum NetworkCheck {
    /// Throws `.invalidArgument` naming both networks when the snapshot's recorded network (or
    /// chain id) differs from the expected one. What the snapshot did not record is not compared.
    public static func check(snapshot id: String, source: SourceInfo, network: String?, chainId: String?) throws {
        let networkClash = network != nil && source.network != nil && source.network != network
        let chainClash = chainId != nil && source.chainId != nil && source.chainId != chainId
        guard networkClash || chainClash else { return }
        throw ChainsnapError(.invalidArgument,
                             "snapshot \(id) is from \(describe(source.network, source.chainId)); this node is on \(describe(network, chainId))",
                             object: id,
                             hint: "restore a snapshot of this node's network (check --from and --snapshot), or pass --allow-other-network if this is intended")
    }

    static func describe(_ network: String?, _ chainId: String?) -> String {
        switch (network, chainId) {
        case let (n?, c?): return "network '\(n)' (chain id \(c))"
        case let (n?, nil): return "network '\(n)'"
        case let (nil, c?): return "chain id \(c)"
        default: return "an unrecorded network"
        }
    }
}
