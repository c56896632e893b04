import Foundation
import SnapshotCore

extension FleetDeployer {
    /// `fleet deploy` after planning: a dry run prints each step (helm command, generated values,
    /// mapping, values diff) and changes nothing; a live deploy first lists the LuxNetwork fields
    /// not supported yet and refuses unless `acceptUnsupported`, then runs the steps in order.
    public func deploy(_ steps: [DeployStep], valuesDir: String, dryRun: Bool, acceptUnsupported: Bool, roll: Bool) async throws {
        let unsupported = Self.unsupported(steps)
        let count = Self.unsupportedCount(steps)
        if dryRun {
            for s in steps { out(describe(s, diffBase: diffBase(s))) }
            out("dry run: nothing was changed; generated values are in \(valuesDir)")
            if !unsupported.isEmpty && !acceptUnsupported {
                out("\(count) LuxNetwork fields are not supported yet (listed above): a live deploy needs --accept-unsupported")
            }
            return
        }
        if !unsupported.isEmpty {
            for u in unsupported { log("chainsnap: \(u)") }
            guard acceptUnsupported else {
                throw ChainsnapError(.invalidArgument, "\(count) LuxNetwork fields are not supported yet (listed above): the deployed networks would differ from their documents; nothing was deployed",
                                     hint: "change the documents or set overrides in the fleet file, or pass --accept-unsupported to deploy without those fields (--dry-run shows the whole plan)")
            }
        }
        for s in steps { for n in s.notes { log("chainsnap: \(s.network.key): note: \(n)") } }
        try await run(steps, roll: roll)
    }
}

extension FleetScaler {
    /// The release, chart and the fleet file's replicas for `namespace`: from the fleet file's
    /// entry when `fleetFile` is given, else `release` (default: the namespace) and `chart`
    /// (a local path made absolute against `cwd`).
    public static func target(fleetFile: String?, namespace: String, release: String?, chart: String?,
                              cwd: String) throws -> (release: String, chart: String, fleetReplicas: Int?) {
        guard let fleetFile else {
            let c = chart ?? ""
            return (release ?? namespace, c.contains("://") || c.hasPrefix("/") ? c : cwd + "/" + c, nil)
        }
        let net = try FleetFile.load(fleetFile).select([namespace]).first!
        guard net.namespace == namespace else {
            throw ChainsnapError(.invalidArgument, "-n takes the namespace (\(net.namespace) for \(net.key))", object: namespace)
        }
        let dir = NSTemporaryDirectory() + "chainsnap-scale-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let steps = try FleetDeployer(helm: nil, waiter: nil, roller: nil, out: { _ in }, log: { _ in }).plan([net], valuesDir: dir)
        return (release ?? net.release, net.chart, steps.first?.replicas)
    }
}
