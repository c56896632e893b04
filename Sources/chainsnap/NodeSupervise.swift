import ArgumentParser
import CommandOptions
import NodeRPC

/// `chainsnap node supervise [options] -- NODE ARGS…`
struct NodeSuperviseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise",
        abstract: "Run a node as a child: wait for health, alias chains, import RLP, exit with the node's status.",
        discussion: """
            Starts NODE ARGS… as a child process and passes SIGTERM/SIGINT on to it. Once \
            /ext/health reports healthy it sets the chain aliases (admin.aliasChain) and, with \
            --import-from, runs `chainsnap rlp import` against the node. It keeps running while the \
            node runs and exits with the node's exit status (128+N when killed by signal N). A node \
            that is not healthy within --health-timeout and whose height (eth_blockNumber) did not \
            advance during that time is stopped and the command exits 1; a node still advancing \
            (a long bootstrap) is reported and given another --health-timeout, never restarted. With \
            --expect-head-from DIR, once healthy and before any alias or import, it asks the node for \
            the block at the height the restore marker in DIR recorded; when its hash differs (or the \
            node does not have it within --head-check-timeout) the node is stopped and the command exits 1.

            Example: chainsnap node supervise --rpc http://127.0.0.1:9630 --alias C=evm -- luxd --http-port=9630
            """
    )

    @Option(help: ArgumentHelp("The node's HTTP base URL (health, admin and RPC paths are below it).", valueName: "url"))
    var rpc: String = "http://127.0.0.1:9650"

    @Option(help: ArgumentHelp("Seconds to wait for /ext/health before stopping the node and failing (another window while its height still advances).", valueName: "seconds"))
    var healthTimeout: Double = 600

    @Option(help: ArgumentHelp("Seconds between health checks.", valueName: "seconds"))
    var healthInterval: Double = 2

    @Option(name: .customLong("alias"), help: ArgumentHelp("Chain alias to set once healthy (repeatable).", valueName: "chain=alias"))
    var aliases: [String] = []

    @Option(help: ArgumentHelp("Seconds between SIGTERM and SIGKILL when the supervisor stops the node itself.", valueName: "seconds"))
    var stopGrace: Double = 30

    @Option(name: .customLong("bootstrap-peer"), help: ArgumentHelp("Peer as HOST:PORT or HOST:PORT=NODE-ID, resolved at start and passed to the node (repeatable; the pod's own name is skipped). With node IDs, the resolved peers' IDs go to --bootstrap-ids-flag in the same order (luxd needs both).", valueName: "host:port[=node-id]"))
    var bootstrapPeers: [String] = []

    @Option(help: ArgumentHelp("Node flag that receives the node IDs of the resolved peers (with HOST:PORT=NODE-ID peers).", valueName: "flag"))
    var bootstrapIdsFlag: String = "--bootstrap-ids"

    @Option(name: .customLong("public-ip-for"), help: ArgumentHelp("The node's public IP when this pod is POD (repeatable; e.g. its LoadBalancer address): passed as --public-ip=IP.", valueName: "pod=ip"))
    var publicIPs: [String] = []

    @Option(help: ArgumentHelp("Passed to the node as --public-ip-resolution-service when no --public-ip-for names this pod (opendns, ifconfigco, ifconfigme).", valueName: "service"))
    var publicIpResolutionService: String?

    @Option(help: ArgumentHelp("Node flag that receives the resolved peers as IP:PORT,IP:PORT.", valueName: "flag"))
    var bootstrapFlag: String = "--bootstrap-ips"

    @Option(help: ArgumentHelp("Seconds to keep retrying bootstrap peers that do not resolve yet (pods still being scheduled).", valueName: "seconds"))
    var bootstrapWait: Double = 0

    @Option(help: ArgumentHelp("Restore target whose marker (.chainsnap-restore.json) names the head the node must have once healthy.", valueName: "dir"))
    var expectHeadFrom: String?

    @Option(help: ArgumentHelp("Seconds the node gets to answer the head check (with --expect-head-from).", valueName: "seconds"))
    var headCheckTimeout: Double = 120

    @Option(help: ArgumentHelp("RLP bundle store to import from once the node is healthy.", valueName: "store-url"))
    var importFrom: String?

    @Option(help: ArgumentHelp("Instead of --import-from: the folder URL of a legacy byte-split export (the seed chart's bootstrap.rlpImport.baseUrl).", valueName: "url"))
    var importBaseUrl: String?

    @Option(help: ArgumentHelp("With --import-base-url: the export's file name (parts are NAME.aa, NAME.ab, …).", valueName: "name"))
    var importFile: String?

    @Option(help: ArgumentHelp("With --import-base-url: part suffixes in order, e.g. aa,ab (absent: the single file).", valueName: "list"))
    var importParts: String?

    @Option(help: "Network name of the RLP bundle (with --import-from).")
    var network: String?

    @Option(help: ArgumentHelp("Folder for downloaded RLP parts (with --import-from).", valueName: "dir"))
    var workDir: String?

    @Option(help: ArgumentHelp("Skip the import when the node is already at this height (with --import-from).", valueName: "n"))
    var minHeight: UInt64?

    @Option(help: ArgumentHelp("Seconds allowed for the whole import (with --import-from).", valueName: "seconds"))
    var importTimeout: Double?

    @OptionGroup(title: "Store options (for --import-from)")
    var store: StoreFlags

    @Flag(help: "Check the arguments, print what would run, and exit without starting anything.")
    var dryRun = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The node command after `--`.", valueName: "node-command"))
    var node: [String] = []

    func validate() throws {
        guard !node.isEmpty else {
            throw ValidationError("give the node command after `--`, e.g. `chainsnap node supervise -- luxd --http-port=9650`")
        }
        for a in aliases where ChainAlias(parsing: a) == nil {
            throw ValidationError("--alias '\(a)' is not CHAIN=ALIAS (e.g. --alias C=evm)")
        }
        try checkHTTPURL("--rpc", rpc, example: localNodeURLExample)
        try asUsageError(peering.validate)
        guard headCheckTimeout > 0 else { throw ValidationError("--head-check-timeout must be positive") }
        guard healthTimeout > 0, healthInterval > 0, stopGrace >= 0 else {
            throw ValidationError("--health-timeout and --health-interval must be positive, --stop-grace not negative")
        }
        _ = try asUsageError(importPlan)
    }

    /// The RLP import to run once the node is healthy, if any.
    func importPlan() throws -> SupervisedImport? {
        try SupervisedImport.from(importFrom: importFrom, baseURL: importBaseUrl, file: importFile, parts: importParts, network: network,
                                  workDir: workDir, minHeight: minHeight, timeout: importTimeout)
    }

    /// The `chainsnap rlp import …` arguments, when the import is enabled.
    var importArguments: [String]? { (try? importPlan())?.arguments(rpc: rpc, storeArguments: store.arguments) }

    /// Where the node announces itself and finds its peers, as a library value.
    var peering: NodeNetworkArguments {
        NodeNetworkArguments(publicIPs: publicIPs, publicIPResolutionService: publicIpResolutionService, peers: bootstrapPeers,
                             bootstrapFlag: bootstrapFlag, bootstrapIdsFlag: bootstrapIdsFlag, bootstrapWait: bootstrapWait)
    }

    func run() async throws {
        let stderrLog: (String) -> Void = Supervisor.stderrLog
        let log: (String) -> Void = dryRun ? { print($0) } : stderrLog
        var options = SupervisorOptions(
            executable: node[0], arguments: await peering.resolve(base: Array(node.dropFirst()), dryRun: dryRun, log: log),
            endpoints: NodeEndpoints(baseURL: rpc), healthTimeout: healthTimeout, healthInterval: healthInterval,
            aliases: aliases.compactMap(ChainAlias.init(parsing:)), stopGrace: stopGrace)
        try options.expectHead(fromRestoreMarkerIn: expectHeadFrom, timeout: headCheckTimeout, log: log)
        throw ExitCode(try await Supervisor.supervise(options, importArguments: importArguments, dryRun: dryRun, out: { print($0) }))
    }
}
