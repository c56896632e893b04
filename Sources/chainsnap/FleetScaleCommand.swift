import ArgumentParser
import CommandOptions
import RestoreCore
import FleetDeploy
import Foundation

/// `chainsnap fleet scale -n NS N`.
struct FleetScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Change a network's number of validators through helm, then wait for the new pods behind the gates.",
        discussion: """
            Runs `helm upgrade RELEASE CHART -n NAMESPACE --reuse-values --set replicas=N`: only replicas \
            changes. The release and chart come from the fleet file's entry for the namespace (--fleet), \
            or from --release (default: the namespace's name) and --chart. Removing validators needs \
            --allow-validator-removal. Change the fleet file too, or the next `fleet deploy` sets its \
            number again.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The network's namespace.", valueName: "namespace"))
    var namespace: String
    @Argument(help: ArgumentHelp("The new number of validators.", valueName: "n"))
    var replicas: Int
    @Option(help: ArgumentHelp("The fleet file naming this namespace's release and chart.", valueName: "file"))
    var fleet: String?
    @Option(help: ArgumentHelp("The chart (without --fleet).", valueName: "path"))
    var chart: String?
    @Option(help: ArgumentHelp("The Helm release (default: from the fleet file, else the namespace's name).", valueName: "name"))
    var release: String?
    @Flag(help: "Allow scaling down (removes the highest-numbered validators; their PVCs are kept).")
    var allowValidatorRemoval = false
    @Flag(help: "Print the helm command and the change; change nothing.")
    var dryRun = false
    @OptionGroup var helmFlags: HelmFlags
    @OptionGroup(title: "Gates (waiting for the pods)")
    var gates: FleetGateOptions

    func validate() throws {
        if fleet == nil && chart == nil { throw ValidationError("name the chart: --fleet FILE (its entry for the namespace) or --chart PATH") }
        if fleet != nil && chart != nil { throw ValidationError("use --fleet or --chart, not both") }
    }

    func run() async throws {
        try await reportingErrors {
            let t = try FleetScaler.target(fleetFile: fleet, namespace: namespace, release: release, chart: chart,
                                           cwd: FileManager.default.currentDirectoryPath)
            let scaler = FleetScaler(helm: try helmFlags.resolved(dryRun: dryRun), waiter: fleetGates(helmFlags, gates).waiter,
                                     out: { print($0) }, log: { writeStderr($0 + "\n") })
            try await scaler.scale(namespace: namespace, replicas: replicas, release: t.release, chart: t.chart,
                                   allowRemoval: allowValidatorRemoval, dryRun: dryRun, fleetReplicas: t.fleetReplicas)
        }
    }
}
