import Metrics
import NodeRPC

/// The exporter's families from the cached looks (names in README "Monitoring"). Pure: ages
/// are computed from `now`, so a cached look still shows a growing age.
public enum ExporterMetrics {
    public static func families(stores: [StoreStatus], nodes: [NodeProbe], network: String?, now: Double,
                                version: String = "unknown") -> [MetricFamily] {
        var f: [MetricFamily] = []
        func add(_ name: String, _ help: String, _ samples: [Sample]) {
            f.append(MetricFamily(name, .gauge, help, samples))
        }
        add("chainsnap_store_up", "1 when the store answered the last look (listing and manifests), 0 when it failed or timed out.",
            stores.map { Sample([("store", $0.store)], $0.up ? 1 : 0) })
        add("chainsnap_store_last_refresh_timestamp_seconds", "Unix time the store was last looked at.",
            stores.map { Sample([("store", $0.store)], $0.refreshed) })
        add("chainsnap_store_refresh_duration_seconds", "How long the last look at the store took (the timeout when it timed out).",
            stores.map { Sample([("store", $0.store)], $0.seconds) })
        let up = stores.filter(\.up)
        add("chainsnap_store_snapshots", "Snapshots in the store.", up.map { Sample([("store", $0.store)], Double($0.snapshots)) })
        add("chainsnap_store_unreadable_newest_snapshots", "Snapshots newer than the newest readable one whose manifest does not load.",
            up.map { Sample([("store", $0.store)], Double($0.unreadableNewer)) })
        let newest = up.compactMap { s in s.newest.map { (s.store, $0) } }
        func nl(_ store: String, _ n: StoreStatus.Snapshot) -> [(String, String)] {
            [("store", store), ("network", n.network ?? "")]
        }
        add("chainsnap_store_newest_snapshot_timestamp_seconds", "Creation time (Unix) of the newest readable snapshot.",
            newest.map { Sample(nl($0.0, $0.1), $0.1.created) })
        add("chainsnap_store_newest_snapshot_age_seconds", "Seconds since the newest readable snapshot was created.",
            newest.map { Sample(nl($0.0, $0.1), max(0, now - $0.1.created)) })
        add("chainsnap_store_newest_snapshot_height", "Block height recorded in the newest readable snapshot.",
            newest.compactMap { s in s.1.height.map { Sample(nl(s.0, s.1), Double($0)) } })
        add("chainsnap_store_newest_snapshot_size_bytes", "Size of the newest readable snapshot's tree.",
            newest.map { Sample(nl($0.0, $0.1), Double($0.1.bytes)) })
        add("chainsnap_store_newest_snapshot_stored_bytes", "Bytes the newest readable snapshot's chunks take in the store (compressed).",
            newest.map { Sample(nl($0.0, $0.1), Double($0.1.storedBytes)) })
        let bundles = up.flatMap { s in s.bundles.map { (s.store, $0) } }
        func bl(_ b: (String, StoreStatus.Bundle)) -> [(String, String)] { [("store", b.0), ("network", b.1.network)] }
        add("chainsnap_rlp_bundle_up", "1 when the bundle's manifest loads, 0 when it does not.", bundles.map { Sample(bl($0), $0.1.up ? 1 : 0) })
        let good = bundles.filter { $0.1.up }
        add("chainsnap_rlp_bundle_parts", "Parts in the bundle.", good.map { Sample(bl($0), Double($0.1.parts)) })
        add("chainsnap_rlp_bundle_last_block", "Number of the last block in the bundle's newest part.", good.map { Sample(bl($0), Double($0.1.lastBlock)) })
        add("chainsnap_rlp_bundle_last_block_timestamp_seconds", "Block timestamp (Unix) of the bundle's last block.",
            good.map { Sample(bl($0), $0.1.lastBlockTime) })
        add("chainsnap_rlp_bundle_last_part_age_seconds", "Seconds since the bundle's last block was produced (its block timestamp).",
            good.map { Sample(bl($0), max(0, now - $0.1.lastBlockTime)) })
        add("chainsnap_rlp_bundle_updated_timestamp_seconds", "Unix time the bundle's manifest was last updated (a part published).",
            good.compactMap { b in b.1.updated.map { Sample(bl(b), $0) } })

        let check = NodeHeightCheck(probes: nodes, maxLag: 0)
        func node(_ p: NodeProbe) -> [(String, String)] { [("node", p.url)] + (network.map { [("network", $0)] } ?? []) }
        add("chainsnap_node_up", "1 when the node answered eth_blockNumber and eth_syncing in the last look, 0 otherwise.",
            nodes.map { Sample(node($0), $0.error == nil && $0.height != nil ? 1 : 0) })
        add("chainsnap_node_healthy", "1 when the node's health endpoint reports healthy.", nodes.map { Sample(node($0), $0.healthy ? 1 : 0) })
        let answered = nodes.filter { $0.height != nil }
        add("chainsnap_node_height", "The node's block height (eth_blockNumber).", answered.map { Sample(node($0), Double($0.height!)) })
        add("chainsnap_node_lag_blocks", "Blocks the node is behind the highest configured node.",
            answered.map { Sample(node($0), Double(check.lag($0) ?? 0)) })
        add("chainsnap_node_syncing", "1 when the node reports that it is syncing (eth_syncing), 0 when in sync.",
            nodes.compactMap { p in p.syncing.map { Sample(node(p), $0 ? 1 : 0) } })
        add("chainsnap_exporter_build_info", "Always 1; the chainsnap version serving these metrics.",
            [Sample([("version", version)], 1)])
        return f.filter { !$0.samples.isEmpty }
    }
}
