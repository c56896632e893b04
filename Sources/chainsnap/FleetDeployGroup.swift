import ArgumentParser

/// Temporary `chainsnap fleet` group holding deploy and scale until they join the `fleet`
/// group with status, roll and recover (then this file goes).
struct FleetDeployGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Run a fleet of networks: deploy every network with helm, scale one.",
        subcommands: [FleetDeploy.self, FleetScale.self]
    )
}
