import ArgumentParser

/// `chainsnap rlp …`: RLP bundles (inspect, split, export, import, index).
struct RLPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlp",
        abstract: "Inspect, split, export and import RLP block bundles.",
        subcommands: []
    )
}
