import Foundation
import SnapshotCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a node is making progress between two looks at its height.
public enum SupervisorProgress {
    /// True when the height grew, or the node answered with a height for the first time.
    public static func advanced(from old: UInt64?, to new: UInt64?) -> Bool {
        guard let new else { return false }
        guard let old else { return new > 0 }
        return new > old
    }
}

/// One `admin.aliasChain` call: give `chain` (a blockchain id or name) the name `alias`.
public struct ChainAlias: Sendable, Equatable, CustomStringConvertible {
    public var chain: String
    public var alias: String

    public init(chain: String, alias: String) {
        self.chain = chain
        self.alias = alias
    }

    /// Parses `CHAIN=ALIAS`; nil when either side is empty.
    public init?(parsing text: String) {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let c = String(text[..<eq]), a = String(text[text.index(after: eq)...])
        guard !c.isEmpty, !a.isEmpty, !a.contains("=") else { return nil }
        self.init(chain: c, alias: a)
    }

    public var description: String { "\(chain)=\(alias)" }
}

/// A step run once the node is healthy and aliased — the RLP import. Kept behind a
/// protocol so the supervisor does not depend on how the import is done.
public protocol NodeStartupStep: Sendable {
    /// One line saying what the step does, for the log.
    var summary: String { get }
    /// Runs the step against the healthy node; throwing reports the failure (the node keeps running).
    func run(node: NodeClient) async throws
}

/// What the supervisor should do.
public struct SupervisorOptions: Sendable {
    /// The node program and its arguments.
    public var executable: String
    public var arguments: [String]
    public var endpoints: NodeEndpoints
    /// How long to wait for `/ext/health` before giving up and stopping the node — unless its
    /// height advanced during that window: then it is reported and given another window.
    public var healthTimeout: Double
    public var healthInterval: Double
    public var aliases: [ChainAlias]
    /// Seconds between SIGTERM and SIGKILL when the supervisor itself stops the node.
    public var stopGrace: Double
    /// Forward SIGTERM/SIGINT received by this process to the node (off in in-process tests).
    public var forwardSignals: Bool
    /// The head a restored node must have (`HeadCheck`), checked once healthy, before aliases and
    /// steps; a node without it is stopped. Nil: no check.
    public var expectHead: ExpectedHead? = nil
    /// Seconds the node gets to answer the head check.
    public var headCheckTimeout: Double = 120

    public init(executable: String, arguments: [String], endpoints: NodeEndpoints, healthTimeout: Double = 600,
                healthInterval: Double = 2, aliases: [ChainAlias] = [], stopGrace: Double = 30, forwardSignals: Bool = true) {
        self.executable = executable
        self.arguments = arguments
        self.endpoints = endpoints
        self.healthTimeout = healthTimeout
        self.healthInterval = healthInterval
        self.aliases = aliases
        self.stopGrace = stopGrace
        self.forwardSignals = forwardSignals
    }
}

/// How a supervised run ended.
public enum SupervisorOutcome: Sendable, Equatable {
    /// The node exited on its own or after a forwarded signal; the supervisor exits with `status`.
    case nodeExited(status: Int32)
    /// The node never answered `/ext/health` in time; the supervisor stopped it.
    case neverHealthy(seconds: Double, nodeStatus: Int32)
    /// The node's block at the expected height was not the snapshot's (`HeadCheck`); stopped.
    case wrongHead(message: String, nodeStatus: Int32)

    /// The node's exit code in either case.
    public var nodeStatus: Int32 {
        switch self {
        case .nodeExited(let s), .neverHealthy(_, let s), .wrongHead(_, let s): s
        }
    }
}

/// Runs a node as a child process: forwards SIGTERM/SIGINT, waits for health, sets chain
/// aliases, runs the startup steps (RLP import), and returns when the node exits.
/// Replaces the start-in-background / poll / alias / import / wait shell script.
public final class Supervisor: Sendable {
    public let options: SupervisorOptions
    public let steps: [any NodeStartupStep]
    let log: @Sendable (String) -> Void

    public init(options: SupervisorOptions, steps: [any NodeStartupStep] = [],
                log: @escaping @Sendable (String) -> Void = Supervisor.stderrLog) {
        self.options = options
        self.steps = steps
        self.log = log
    }

    /// Writes `chainsnap supervise: …` lines to stderr.
    public static let stderrLog: @Sendable (String) -> Void = { line in
        let text = "chainsnap supervise: \(line)\n"
        FileHandle.standardError.write(Data((isatty(2) == 1 ? text : LogLines.stamped(text)).utf8))
    }

    /// Starts the node; `onStart` receives the child (tests use it to signal the node).
    public func run(onStart: (@Sendable (SupervisedChild) -> Void)? = nil) async throws -> SupervisorOutcome {
        let child = try SupervisedChild.spawn(options.executable, options.arguments)
        log("started \(options.executable) as pid \(child.pid)")
        onStart?(child)
        let log = self.log
        let forwarder = options.forwardSignals ? SignalForwarder(signals: [SIGTERM, SIGINT]) { sig in
            log("received \(sig == SIGTERM ? "SIGTERM" : "SIGINT"); passing it to the node (pid \(child.pid))")
            child.send(sig)
        } : nil
        defer { forwarder?.cancel() }

        return await withTaskGroup(of: SupervisorOutcome?.self) { group in
            group.addTask {
                let status = await child.waitForExit()
                return .nodeExited(status: status)
            }
            group.addTask { await self.startup(child) }
            var result: SupervisorOutcome?
            while let next = await group.next() {
                guard let outcome = next else { continue }  // startup finished; keep waiting for the node
                // The startup task's own verdict (it stopped an unhealthy node) wins over the exit it caused.
                if result == nil || outcome != .nodeExited(status: outcome.nodeStatus) { result = outcome }
                group.cancelAll()
            }
            let outcome = result ?? .nodeExited(status: child.exitStatus ?? 1)
            if case .nodeExited(let s) = outcome { log("node exited with status \(s)") }
            return outcome
        }
    }

    /// Health → aliases → steps. Returns an outcome only when it stopped the node itself.
    private func startup(_ child: SupervisedChild) async -> SupervisorOutcome? {
        let node = NodeClient(endpoints: options.endpoints)
        let healthURL = options.endpoints.baseURL + options.endpoints.healthPath
        let start = Date()
        var healthy = false
        var lastHeight: UInt64? = nil
        // A node still advancing when the timeout comes is bootstrapping slowly, not stuck: it is
        // reported and given another window, never restarted (restarts are what corrupt pathdb).
        // The first window's height is taken halfway through it (a node healthy before then is never asked).
        var window = start
        var checkpoint: UInt64?? = nil
        while !Task.isCancelled {
            if child.exitStatus != nil { return nil }
            if await node.isHealthy() { healthy = true; break }
            let elapsed = Date().timeIntervalSince(window)
            if checkpoint == nil && elapsed >= options.healthTimeout / 2 { checkpoint = .some(await currentHeight()) }
            if elapsed >= options.healthTimeout {
                let before = checkpoint ?? nil
                let height = await currentHeight()
                guard SupervisorProgress.advanced(from: before, to: height) else { lastHeight = height; break }
                log("not healthy at \(healthURL) after \(Int(Date().timeIntervalSince(start))) s, but still advancing (height "
                    + "\(before.map(String.init) ?? "unknown") → \(height.map(String.init) ?? "?")); not stopping it — "
                    + "checking again in \(Int(options.healthTimeout)) s")
                window = Date()
                checkpoint = .some(height)
            }
            try? await Task.sleep(nanoseconds: UInt64(options.healthInterval * 1e9))
        }
        if Task.isCancelled || child.exitStatus != nil { return nil }
        guard healthy else {
            log("error: the node did not report healthy at \(healthURL) within \(Int(Date().timeIntervalSince(start))) s and its height "
                + "did not advance since the last check (\(lastHeight.map { "height \($0)" } ?? "no height answered")); stopping it "
                + "(check the node's logs above; raise --health-timeout if it needs longer to start)")
            let status = await child.stop(grace: options.stopGrace)
            return .neverHealthy(seconds: options.healthTimeout, nodeStatus: status)
        }
        log(String(format: "node is healthy after %.1f s", Date().timeIntervalSince(start)))
        if let expect = options.expectHead {
            // Before anything imports into the node or it is aliased: a wrong database stops here.
            let verdict = await HeadCheck.run(node, expect: expect, timeout: options.headCheckTimeout,
                                              interval: min(1, options.healthInterval),
                                              stop: { Task.isCancelled || child.exitStatus != nil })
            if Task.isCancelled || child.exitStatus != nil { return nil }
            guard verdict == .matches else {
                let message = HeadCheck.failure(verdict, expect: expect)
                log("error: \(message); stopping the node")
                let status = await child.stop(grace: options.stopGrace)
                return .wrongHead(message: message, nodeStatus: status)
            }
            log("head check: block \(expect.number) has hash \(expect.hash), as the snapshot recorded (\(expect.origin))")
        }
        for a in options.aliases where !Task.isCancelled {
            await setAlias(a, node: node)
        }
        for step in steps where !Task.isCancelled {
            log("starting: \(step.summary)")
            do {
                try await step.run(node: node)
                log("done: \(step.summary)")
            } catch {
                log("warning: \(step.summary) failed: \(error); the node keeps running — fix the cause and restart the pod to retry")
            }
        }
        if !Task.isCancelled { log("startup complete; supervising pid \(child.pid) until it exits") }
        return nil
    }

    /// The node's `eth_blockNumber`, nil when it does not answer (yet) within 5 s.
    private func currentHeight() async -> UInt64? {
        try? await NodeClient(endpoints: options.endpoints, timeout: 5).blockNumber()
    }

    private func setAlias(_ a: ChainAlias, node: NodeClient) async {
        for attempt in 1...3 {
            do {
                try await node.aliasChain(chain: a.chain, alias: a.alias)
                log("aliased chain \(a.chain) as \(a.alias)")
                return
            } catch {
                if attempt == 3 {
                    log("warning: admin.aliasChain \(a) failed: \(error); continuing without this alias")
                } else {
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
        }
    }
}
