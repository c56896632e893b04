import ArgumentParser
import SnapshotCore

/// The `chainsnap` command tree.
///
/// Exit codes: 0 success; 1 failure (the message says what to do); 64 bad usage;
/// 3 a restore refused to touch existing data (non-empty target without --force).
@main
struct Chainsnap: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "chainsnap",
        abstract: "Snapshots, RLP bundles and fast restores for blockchain nodes on Kubernetes.",
        discussion: """
            Stores: file:///path (local folder), s3://bucket/prefix (S3-compatible), https://host/prefix (read-only).
            Credentials come from the environment or mounted Secret files, never from arguments.

            Exit codes: 0 ok, 1 failed, 64 usage error, 3 restore refused (existing data; see --force).
            """,
        version: version,
        subcommands: [SnapshotCommand.self, RLPCommand.self, NodeCommand.self, K8sCommand.self, FleetDeployGroup.self]
    )
}
