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
        guard rpc.hasPrefix("http://") || rpc.hasPrefix("https://") else {
            throw ValidationError("--rpc '\(rpc)' must be an http:// or https:// URL, e.g. http://127.0.0.1:9650")
        }
        let peers = bootstrapPeers.map(Self.splitPeer)
        for (p, _) in peers where p.split(separator: ":").count != 2 || UInt16(p.split(separator: ":").last ?? "") == nil {
            throw ValidationError("--bootstrap-peer '\(p)' is not HOST:PORT (e.g. luxd-1.luxd-headless.lux.svc.cluster.local:9651)")
        }
        let withIDs = peers.filter { $0.id != nil }.count
        guard withIDs == 0 || withIDs == peers.count else {
            throw ValidationError("give a node ID with every --bootstrap-peer or with none (\(withIDs) of \(peers.count) have one): luxd pairs --bootstrap-ips with --bootstrap-ids")
        }
        for (_, id) in peers { if let id, !id.hasPrefix("NodeID-") { throw ValidationError("--bootstrap-peer node ID '\(id)' must look like NodeID-…") } }
        for p in publicIPs where p.split(separator: "=").count != 2 {
            throw ValidationError("--public-ip-for '\(p)' is not POD=IP (e.g. luxd-0=203.0.113.10)")
        }
        if let s = publicIpResolutionService, !["opendns", "ifconfigco", "ifconfigme"].contains(s) {
            throw ValidationError("--public-ip-resolution-service must be opendns, ifconfigco or ifconfigme")
        }
        guard bootstrapFlag.hasPrefix("--") else { throw ValidationError("--bootstrap-flag must start with --, e.g. --bootstrap-ips") }
        guard bootstrapWait >= 0 else { throw ValidationError("--bootstrap-wait must not be negative") }
        guard headCheckTimeout > 0 else { throw ValidationError("--head-check-timeout must be positive") }
        guard healthTimeout > 0, healthInterval > 0, stopGrace >= 0 else {
            throw ValidationError("--health-timeout and --health-interval must be positive, --stop-grace not negative")
        }
        if importFrom != nil && importBaseUrl != nil {
            throw ValidationError("give --import-from (a bundle) or --import-base-url (a legacy export), not both")
        }
        if (importFile != nil || importParts != nil) && importBaseUrl == nil {
            throw ValidationError("--import-file and --import-parts only apply with --import-base-url")
        }
        if importFrom != nil {
            guard network != nil, workDir != nil else {
                throw ValidationError("--import-from needs --network and --work-dir")
            }
        } else if importBaseUrl != nil {
            guard importFile != nil, workDir != nil else {
                throw ValidationError("--import-base-url needs --import-file and --work-dir")
            }
        } else if network != nil || workDir != nil || minHeight != nil || importTimeout != nil {
            throw ValidationError("--network, --work-dir, --min-height and --import-timeout only apply with --import-from or --import-base-url")
        }
    }

    /// The `chainsnap rlp import …` arguments, when the import is enabled.
    var importArguments: [String]? {
        guard let workDir else { return nil }
        var a: [String]
        if let importFrom, let network {
            a = ["rlp", "import", "--rpc", rpc, "--from", importFrom, "--network", network, "--work-dir", workDir]
        } else if let importBaseUrl, let importFile {
            // The legacy byte-split layout, with the same skip/resume/head checks as a bundle.
            a = ["rlp", "import", "--rpc", rpc, "--base-url", importBaseUrl, "--file", importFile, "--work-dir", workDir]
            if let importParts { a += ["--parts", importParts] }
        } else {
            return nil
        }
        if let minHeight { a += ["--min-height", String(minHeight)] }
        if let importTimeout { a += ["--timeout", String(Int(importTimeout.rounded(.up)))] }
        return a + store.arguments
    }

    /// The node's arguments plus the resolved bootstrap peers; peers that do not resolve yet are
    /// retried for up to --bootstrap-wait seconds, then left out.
    func nodeArguments(log: (String) -> Void) async -> [String] {
        var args = Array(node.dropFirst())
        let me = SupervisorPeers.selfHost
        if let ip = publicIPs.first(where: { $0.hasPrefix((me ?? "") + "=") })?.split(separator: "=").last {
            args.append("--public-ip=\(ip)")
        } else if let publicIpResolutionService {
            args.append("--public-ip-resolution-service=\(publicIpResolutionService)")
        }
        guard !bootstrapPeers.isEmpty else { return args }
        let peers = bootstrapPeers.map(Self.splitPeer)
        // A dry run only shows what resolves now.
        let resolved = await SupervisorPeers.resolveAligned(peers.map(\.hostPort), selfHost: me, wait: dryRun ? 0 : bootstrapWait)
        let isSelf = peers.map { p in me.map { !$0.isEmpty && (p.hostPort.hasPrefix($0 + ".") || p.hostPort.hasPrefix($0 + ":")) } ?? false }
        var ips: [String] = [], ids: [String] = [], skipped: [String] = []
        for (i, p) in peers.enumerated() where !isSelf[i] {
            if let ip = resolved[i] { ips.append(ip); if let id = p.id { ids.append(id) } } else { skipped.append(p.hostPort) }
        }
        log("bootstrap peers: \(ips.count) of \(isSelf.filter { !$0 }.count) resolved\(skipped.isEmpty ? "" : "; not resolvable yet, left out: \(skipped.joined(separator: " "))")")
        if !ips.isEmpty {
            args.append("\(bootstrapFlag)=\(ips.joined(separator: ","))")
            if !ids.isEmpty { args.append("\(bootstrapIdsFlag)=\(ids.joined(separator: ","))") }
        }
        return args
    }

    /// `HOST:PORT=NODE-ID` → (HOST:PORT, NODE-ID); `HOST:PORT` → (HOST:PORT, nil).
    static func splitPeer(_ s: String) -> (hostPort: String, id: String?) {
        guard let eq = s.firstIndex(of: "=") else { return (s, nil) }
        return (String(s[..<eq]), String(s[s.index(after: eq)...]))
    }

    func run() async throws {
        var options = SupervisorOptions(
            executable: node[0], arguments: await nodeArguments(log: dryRun ? { print($0) } : Supervisor.stderrLog), endpoints: NodeEndpoints(baseURL: rpc),
            healthTimeout: healthTimeout, healthInterval: healthInterval,
            aliases: aliases.compactMap(ChainAlias.init(parsing:)), stopGrace: stopGrace)
        if let dir = expectHeadFrom {
            let (head, note) = try NodeExpectHead.read(from: dir)
            (dryRun ? { print($0) } : Supervisor.stderrLog)(note)
            options.expectHead = head
            options.headCheckTimeout = headCheckTimeout
        }
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
        case .wrongHead(let message, _):
            throw ChainsnapError(.chainMismatch, message + "; the node was stopped before any alias or import",
                                 hint: "restore another snapshot (chainsnap node prepare-data --clear-data), or check the snapshot's recorded head (chainsnap snapshot list)")
        }
    }
}
