import ArgumentParser
import CommandOptions
import Exporter
import Foundation
import RestoreCore

/// `chainsnap exporter`: a long-running Prometheus exporter for what is only known by looking.
struct ExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporter",
        abstract: "Serve Prometheus metrics on snapshot and bundle freshness per store and height/lag per node.",
        discussion: """
            Every --interval seconds each store and node is looked at in the background, each look \
            bounded by --scrape-timeout; /metrics serves the last looks from memory, so a slow store \
            never slows a scrape. A store or node that fails or times out shows as chainsnap_store_up 0 \
            or chainsnap_node_up 0. /healthz answers ok while the server runs.
            Nodes are --rpc URLs (luxd paths: /ext/health, /ext/bc/C/rpc). Not yet: discovering the \
            fleet's pods through the Kubernetes API; list each node's RPC URL (or the RPC Service).
            --config FILE is JSON: {"stores": ["s3://…"], "rpc": ["http://…"], "network": "mainnet"}, \
            added to the flags.
            """
    )

    @Option(help: ArgumentHelp("Address to serve on: :PORT (every interface) or 127.0.0.1:PORT.", valueName: "addr"))
    var listen = ":9464"
    @Option(name: .customLong("store"), help: ArgumentHelp("A store to watch (repeatable): file://, s3://, https://.", valueName: "url"))
    var stores: [String] = []
    @Option(name: .customLong("rpc"), help: ArgumentHelp("A node's base URL to watch (repeatable), e.g. http://luxd-0.luxd-headless:9630.", valueName: "url"))
    var rpcs: [String] = []
    @Option(help: ArgumentHelp("JSON file with more stores and nodes (see above).", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("The network label of the node metrics (a config file's network otherwise).", valueName: "name"))
    var network: String?
    @Option(help: ArgumentHelp("Seconds between looks at every store and node.", valueName: "seconds"))
    var interval: Double = 60
    @Option(help: ArgumentHelp("Seconds one look at a store or node may take before it counts as down.", valueName: "seconds"))
    var scrapeTimeout: Double = 10
    @OptionGroup var store: StoreFlags

    func validate() throws {
        if stores.isEmpty && rpcs.isEmpty && config == nil { throw ValidationError("give at least one --store or --rpc (or --config FILE)") }
        if !(interval >= 1) { throw ValidationError("--interval must be at least 1 second") }
        if !(scrapeTimeout > 0) { throw ValidationError("--scrape-timeout must be more than 0 seconds") }
        _ = try asUsageError { try HTTPServer.parseListen(listen) }
        for u in rpcs { try checkHTTPURL("--rpc", u) }
    }

    func run() async throws {
        try await reportingErrors {
            let file = try ExporterConfig.load(config)
            let (storeURLs, nodes) = try file.watched(stores: stores, rpc: rpcs)
            let targets = try storeURLs.map { u in
                let s = try store.open(u)
                return Exporter.StoreTarget(label: s.displayURL, store: s)
            }
            let exporter = Exporter(stores: targets, nodes: nodes, network: network ?? file.network,
                                    interval: interval, timeout: scrapeTimeout, version: Chainsnap.version)
            try await exporter.serve(listen: listen, announce: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
                                     log: { writeStderr($0 + "\n") })
        }
    }
}
