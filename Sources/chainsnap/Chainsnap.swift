import ArgumentParser
import SnapshotCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The `chainsnap` command tree.
///
/// Exit codes: 0 success; 1 failure (the message says what to do); 64 bad usage;
/// 3 a restore refused to touch existing data (non-empty target without --force).
@main
struct Chainsnap: AsyncParsableCommand {
    static let version = toolVersion

    static let configuration = CommandConfiguration(
        commandName: "chainsnap",
        abstract: "Snapshots, RLP bundles and fast restores for blockchain nodes on Kubernetes.",
        discussion: """
            Stores: file:///path (local folder), s3://bucket/prefix (S3-compatible), https://host/prefix (read-only).
            Credentials come from the environment or mounted Secret files, never from arguments.

            Exit codes: 0 ok, 1 failed, 64 usage error, 3 restore refused (existing data; see --force).
            """,
        version: version,
        subcommands: [SnapshotCommand.self, RLPCommand.self, NodeCommand.self, K8sCommand.self, FleetCommand.self, KeysCommand.self, ExporterCommand.self]
    )

    /// stdout line-buffered, so a pod log shows each line when it is written, not when a buffer
    /// fills or the process exits (prepare-data's decision before the restore's progress).
    static func main() async {
        setvbuf(stdout, nil, _IOLBF, 0)
        await main(nil)
    }
}
