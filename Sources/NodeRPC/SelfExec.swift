import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SnapshotCore
import Transfer

/// Runs another `chainsnap` subcommand with this same binary, so `node` commands reuse
/// `snapshot restore` and `rlp import` exactly as an operator would run them.
public enum SelfExec {
    /// The path of the running `chainsnap` binary.
    public static var executable: String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Runs `chainsnap ARGS…` (stdout/stderr inherited) and returns its exit code. SIGTERM/SIGINT
    /// received meanwhile are passed on (as PID 1 of an init container this process would
    /// otherwise ignore SIGTERM), so the child can stop cleanly and leave a resumable state.
    public static func run(_ arguments: [String], forwardSignals: Bool = true) async throws -> Int32 {
        let child = try SupervisedChild.spawn(executable, arguments)
        let forwarder = forwardSignals ? SignalForwarder(signals: [SIGTERM, SIGINT]) { child.send($0) } : nil
        defer { forwarder?.cancel() }
        // A cancelled caller (the supervised node exited) stops the child too.
        return await withTaskCancellationHandler {
            await child.waitForExit()
        } onCancel: {
            child.send(SIGTERM)
        }
    }

    /// The command line as a person would type it, shell-quoted and redacted (for "I will run …"
    /// messages; no secrets are ever arguments).
    public static func display(_ arguments: [String]) -> String {
        (["chainsnap"] + arguments.map(Redact.text)).map { a in
            a.isEmpty || a.contains(where: { " \"'$`\\".contains($0) }) ? "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" : a
        }.joined(separator: " ")
    }
}

/// The supervisor's RLP import step: runs `chainsnap rlp import …` against the healthy node.
public struct SelfExecImportStep: NodeStartupStep {
    public var arguments: [String]

    public init(arguments: [String]) { self.arguments = arguments }

    public var summary: String { "RLP import (\(SelfExec.display(arguments)))" }

    public func run(node: NodeClient) async throws {
        // The supervisor already forwards signals to the node; the import stops when the node does.
        let status = try await SelfExec.run(arguments, forwardSignals: false)
        guard status == 0 else {
            throw ChainsnapError(.rpc, "`chainsnap rlp import` exited with status \(status)",
                                 hint: "its own messages above say why; the node keeps running without the imported blocks")
        }
    }
}
