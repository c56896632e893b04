import ArgumentParser

/// `chainsnap node …`: talk to and supervise a blockchain node.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Supervise a node process and prepare its data volume.",
        subcommands: [NodeSuperviseCommand.self, NodePrepareDataCommand.self, NodeStatusCommand.self]
    )
}
