import ArgumentParser

/// `chainsnap snapshot …`: volume snapshots.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create, restore, list, verify and prune volume snapshots.",
        subcommands: []
    )
}
