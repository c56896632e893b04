import ArgumentParser
import Foundation
import NodeRPC
import SnapshotCore

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
            (a long bootstrap) is reported and given another --health-timeout, never restarted.

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

    @Option(name: .customLong("bootstrap-peer"), help: ArgumentHelp("Peer as HOST:PORT, resolved at start and passed to the node (repeatable; the pod's own name is skipped).", valueName: "host:port"))
    var bootstrapPeers: [String] = []

    @Option(help: ArgumentHelp("Node flag that receives the resolved peers as IP:PORT,IP:PORT.", valueName: "flag"))
    var bootstrapFlag: String = "--bootstrap-ips"

    @Option(help: ArgumentHelp("Seconds to keep retrying bootstrap peers that do not resolve yet (pods still being scheduled).", valueName: "seconds"))
    var bootstrapWait: Double = 0

    @Option(help: ArgumentHelp("RLP bundle store to import from once the node is healthy.", valueName: "store-url"))
    var importFrom: String?

    @Option(help: "Network name of the RLP bundle (with --import-from).")
    var network: String?

    @Option(help: ArgumentHelp("Folder for downloaded RLP parts (with --import-from).", valueName: "dir"))
    var workDir: String?

    @Option(help: ArgumentHelp("Skip the import when the node is already at this height (with --import-from).", valueName: "n"))
    var minHeight: UInt64?

    @Option(help: ArgumentHelp("Seconds allowed for the whole import (with --import-from).", valueName: "seconds"))
    var importTimeout: Double?

    @OptionGroup(title: "Store options (for --import-from)")
    var store: NodePassthroughStoreOptions

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
        guard rpc.hasPrefix("http://") || rpc.hasPrefix("https://") else {
            throw ValidationError("--rpc '\(rpc)' must be an http:// or https:// URL, e.g. http://127.0.0.1:9650")
        }
        for p in bootstrapPeers where p.split(separator: ":").count != 2 || UInt16(p.split(separator: ":").last ?? "") == nil {
            throw ValidationError("--bootstrap-peer '\(p)' is not HOST:PORT (e.g. luxd-1.luxd-headless.lux.svc.cluster.local:9651)")
        }
        guard bootstrapFlag.hasPrefix("--") else { throw ValidationError("--bootstrap-flag must start with --, e.g. --bootstrap-ips") }
        guard bootstrapWait >= 0 else { throw ValidationError("--bootstrap-wait must not be negative") }
        guard healthTimeout > 0, healthInterval > 0, stopGrace >= 0 else {
            throw ValidationError("--health-timeout and --health-interval must be positive, --stop-grace not negative")
        }
        if importFrom != nil {
            guard network != nil, workDir != nil else {
                throw ValidationError("--import-from needs --network and --work-dir")
            }
        } else if network != nil || workDir != nil || minHeight != nil || importTimeout != nil {
            throw ValidationError("--network, --work-dir, --min-height and --import-timeout only apply with --import-from")
        }
    }

    /// The `chainsnap rlp import …` arguments, when the import is enabled.
    var importArguments: [String]? {
        guard let importFrom, let network, let workDir else { return nil }
        var a = ["rlp", "import", "--rpc", rpc, "--from", importFrom, "--network", network, "--work-dir", workDir]
        if let minHeight { a += ["--min-height", String(minHeight)] }
        if let importTimeout { a += ["--timeout", String(Int(importTimeout.rounded(.up)))] }
        return a + store.arguments
    }

    /// The node's arguments plus the resolved bootstrap peers; peers that do not resolve yet are
    /// retried for up to --bootstrap-wait seconds, then left out.
    func nodeArguments(log: (String) -> Void) async -> [String] {
        var args = Array(node.dropFirst())
        guard !bootstrapPeers.isEmpty else { return args }
        let me = ProcessInfo.processInfo.environment["HOSTNAME"] ?? ProcessInfo.processInfo.hostName
        let selfHost = me.split(separator: ".").first.map(String.init)
        let others = bootstrapPeers.filter { p in !(selfHost.map { p.hasPrefix($0 + ".") || p.hasPrefix($0 + ":") } ?? false) }
        let deadline = Date().addingTimeInterval(dryRun ? 0 : bootstrapWait)  // a dry run only shows what resolves now
        var (ok, skipped) = SupervisorPeers.resolve(others, selfHost: selfHost)
        while !skipped.isEmpty && Date() < deadline {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            (ok, skipped) = SupervisorPeers.resolve(others, selfHost: selfHost)
        }
        log("bootstrap peers: \(ok.count) of \(others.count) resolved\(skipped.isEmpty ? "" : "; not resolvable yet, left out: \(skipped.joined(separator: " "))")")
        if !ok.isEmpty { args.append("\(bootstrapFlag)=\(ok.joined(separator: ","))") }
        return args
    }

    func run() async throws {
        let options = SupervisorOptions(
            executable: node[0], arguments: await nodeArguments(log: dryRun ? { print($0) } : Supervisor.stderrLog), endpoints: NodeEndpoints(baseURL: rpc),
            healthTimeout: healthTimeout, healthInterval: healthInterval,
            aliases: aliases.compactMap(ChainAlias.init(parsing:)), stopGrace: stopGrace)
        let steps: [any NodeStartupStep] = importArguments.map { [NodeRLPImportStep(arguments: $0)] } ?? []
        if dryRun {
            print("node:    \(([options.executable] + options.arguments).joined(separator: " "))")
            print("health:  \(options.endpoints.baseURL)\(options.endpoints.healthPath) within \(Int(healthTimeout)) s")
            print("aliases: \(options.aliases.isEmpty ? "none" : options.aliases.map(\.description).joined(separator: ", "))")
            print("import:  \(importArguments.map(NodeSelfExec.display) ?? "none")")
            return
        }
        let outcome = try await Supervisor(options: options, steps: steps).run()
        switch outcome {
        case .nodeExited(let status):
            throw ExitCode(status)
        case .neverHealthy(let seconds, _):
            throw ChainsnapError(.rpc, "the node was not healthy at \(rpc)/ext/health after \(Int(seconds)) s and was stopped",
                                 hint: "read the node's log above; if it is just slow (a large import or restore), raise --health-timeout")
        }
    }
}
