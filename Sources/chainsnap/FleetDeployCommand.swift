import ArgumentParser
import CommandOptions
import RestoreCore
import FleetDeploy
import Foundation

/// `chainsnap fleet deploy [NETWORK…] --fleet FILE`.
struct FleetDeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Install or upgrade every network of a fleet file with helm, then wait for each behind the fleet gates.",
        discussion: """
            Each network (in the fleet file's order) gets `helm upgrade --install RELEASE CHART -n NAMESPACE \
            --create-namespace -f VALUES… -f GENERATED`, where GENERATED holds the network's LuxNetwork \
            document mapped to chart values, its tenant and the fleet's overrides. The first helm failure \
            stops the deploy: the networks after it are not touched.

            A LuxNetwork field the chart cannot express yet is listed as "not supported yet: spec.X" with \
            what to do instead; a live deploy then needs --accept-unsupported (the deployed network would \
            differ from the document). --dry-run prints the helm commands, the generated values, the \
            mapping and the values diff (against the release's current values when helm can read them, \
            else against the chart's defaults), and runs nothing that changes the cluster.
            """
    )

    @Option(help: ArgumentHelp("The fleet file (networks, tenants, chart, values files, overrides).", valueName: "file"))
    var fleet: String
    @Argument(help: ArgumentHelp("Networks to deploy: mainnet, tenant/network, or a namespace (default: all).", valueName: "network"))
    var networks: [String] = []
    @Flag(help: "Print the helm commands, generated values and values diffs; change nothing.")
    var dryRun = false
    @Flag(help: "After an upgrade, replace the pods one at a time behind the gates (fleet roll).")
    var roll = false
    @Flag(help: "Deploy even when LuxNetwork fields are not supported yet (they are listed first).")
    var acceptUnsupported = false
    @Option(help: ArgumentHelp("Keep the generated values files in this folder (default: a temporary folder; a dry run keeps it).", valueName: "dir"))
    var valuesDir: String?
    @OptionGroup var helmFlags: HelmFlags
    @OptionGroup(title: "Gates (waiting for each network's pods)")
    var gates: FleetGateOptions

    func run() async throws {
        try await reportingErrors {
            let selected = try FleetFile.load(fleet).select(networks)
            let dir = valuesDir ?? NSTemporaryDirectory() + "chainsnap-fleet-\(ProcessInfo.processInfo.processIdentifier)-\(Int(Date().timeIntervalSince1970))"
            defer { if valuesDir == nil && !dryRun { try? FileManager.default.removeItem(atPath: dir) } }
            let (waiter, roller) = fleetGates(helmFlags, gates)
            let deployer = FleetDeployer(helm: try helmFlags.resolved(dryRun: dryRun), waiter: waiter,
                                         roller: roller, out: { print($0) }, log: { writeStderr($0 + "\n") })
            try await deployer.deploy(try deployer.plan(selected, valuesDir: dir), valuesDir: dir, dryRun: dryRun,
                                      acceptUnsupported: acceptUnsupported, roll: roll)
        }
    }
}
