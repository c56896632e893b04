import ArgumentParser
import RestoreCore
import FleetDeploy
import Foundation
import Snapshots

/// `chainsnap fleet scale -n NS N`.
struct FleetScale: AsyncParsableCommand {
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

    func validate() throws {
        if fleet == nil && chart == nil { throw ValidationError("name the chart: --fleet FILE (its entry for the namespace) or --chart PATH") }
        if fleet != nil && chart != nil { throw ValidationError("use --fleet or --chart, not both") }
    }

    func run() async throws {
        try await reportingErrors {
            var rel = release ?? namespace
            var chartRef = chart ?? ""
            var fleetReplicas: Int?
            if let fleet {
                let file = try FleetFile.load(fleet)
                let net = try file.select([namespace]).first!
                guard net.namespace == namespace else {
                    throw ValidationError("-n takes the namespace (\(net.namespace) for \(net.key))")
                }
                rel = release ?? net.release
                chartRef = net.chart
                let steps = try FleetDeployer(helm: nil, waiter: nil, roller: nil, out: { _ in }, log: { _ in })
                    .plan([net], valuesDir: NSTemporaryDirectory() + "chainsnap-scale-\(ProcessInfo.processInfo.processIdentifier)")
                fleetReplicas = steps.first?.replicas
                try? FileManager.default.removeItem(atPath: (steps.first?.generatedFile as NSString?)?.deletingLastPathComponent ?? "")
            } else if let c = chart, !c.contains("://") {
                chartRef = (c.hasPrefix("/") ? c : FileManager.default.currentDirectoryPath + "/" + c)
            }
            let scaler = FleetScaler(helm: dryRun ? helmFlags.found() : try helmFlags.required(), waiter: fleetGates(kubeconfig: helmFlags.kubeconfig, context: helmFlags.context).waiter,
                                     out: { print($0) }, log: { writeStderr($0 + "\n") })
            try await scaler.scale(namespace: namespace, replicas: replicas, release: rel, chart: chartRef,
                                   allowRemoval: allowValidatorRemoval, dryRun: dryRun, fleetReplicas: fleetReplicas)
        }
    }
}
