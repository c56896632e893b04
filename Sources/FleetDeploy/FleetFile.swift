import Foundation
import SnapshotCore

/// One network of a fleet: what `helm upgrade --install` gets for it.
public struct FleetNetwork: Sendable {
    /// How the command line names it: `mainnet`, or `acme/testnet` for a tenant's network.
    public var key: String
    /// The network (`mainnet`, `testnet`, `devnet`, or a custom name).
    public var name: String
    public var tenant: String?
    /// `lux-{network}`, `lux-{tenant}-{network}`, or what the entry says.
    public var namespace: String
    /// The Helm release (default: the namespace's name).
    public var release: String
    /// A local chart folder (absolute) or an `oci://` reference.
    public var chart: String
    /// Values files in the order helm applies them (absolute paths).
    public var valuesFiles: [String]
    /// Values chainsnap writes into one more file, applied last: the LuxNetwork mapping, the
    /// tenant, and the fleet's overrides.
    public var values: FleetValue
    /// The LuxNetwork document's mapping, when the entry is one.
    public var luxNetwork: LuxNetworkMapping?
    /// Things to know that do not stop the deploy.
    public var notes: [String]

    /// Whether `chart` is a folder on this machine (its values.yaml can be read).
    public var chartIsLocal: Bool { !chart.contains("://") }
}

/// A fleet file: the networks (and tenants' networks) `chainsnap fleet deploy` installs.
///
/// ```yaml
/// chart: charts/lux                  # relative to this file; or oci://…
/// valuesFiles: []                    # for every network, before the network's own
/// overrides: {}                      # values for every network
/// networks:
///   - name: mainnet                  # valuesFiles default: CHART/values-mainnet.yaml
///     overrides: {initMode: {from: "s3://lux-snapshots/mainnet"}}
///   - luxNetwork: networks/testnet.yaml   # a LuxNetwork document (file, or inline)
///   - apiVersion: lux.network/v1alpha1    # a LuxNetwork document as the entry itself
///     kind: LuxNetwork
///     …
/// tenants:
///   - name: acme
///     overrides: {}
///     networks: [{name: testnet, overrides: {replicas: 3}}]
/// ```
/// Values apply in this order, later winning: the chart's values.yaml, the fleet's
/// `valuesFiles`, the network's `valuesFiles`, then (one generated file) the fleet's
/// `overrides`, the tenant's `overrides`, the LuxNetwork document, the network's `overrides`.
public struct FleetFile: Sendable {
    public var path: String
    public var networks: [FleetNetwork]

    static let topKeys: Set<String> = ["apiVersion", "kind", "chart", "valuesFiles", "overrides", "networks", "tenants"]
    static let entryKeys: Set<String> = ["name", "namespace", "release", "chart", "valuesFiles", "overrides", "luxNetwork"]
    static let luxKeys: Set<String> = ["apiVersion", "kind", "metadata", "spec", "status"]

    public static func load(_ path: String) throws -> FleetFile {
        let abs = FleetPaths.absolute(path, base: FileManager.default.currentDirectoryPath)
        let doc = try YAMLReading.single(abs)
        return try FleetFileParser(path: abs, doc: doc).parse()
    }

    /// The networks `names` select (all when empty): by key, namespace or release name.
    public func select(_ names: [String]) throws -> [FleetNetwork] {
        guard !names.isEmpty else { return networks }
        var out: [FleetNetwork] = []
        for n in names {
            guard let net = networks.first(where: { $0.key == n || $0.namespace == n || $0.release == n }) else {
                throw ChainsnapError(.notFound, "\(path) has no network \(n)", object: n,
                                     hint: "known networks: \(networks.map { "\($0.key) (\($0.namespace))" }.joined(separator: ", "))")
            }
            if !out.contains(where: { $0.key == net.key }) { out.append(net) }
        }
        return out
    }
}

/// Absolute paths for fleet-file references.
enum FleetPaths {
    static func absolute(_ p: String, base: String) -> String {
        let joined = p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p)
        return (joined as NSString).standardizingPath
    }
}

struct FleetFileParser {
    let path: String
    let doc: FleetValue
    var dir: String { (path as NSString).deletingLastPathComponent }

    func invalid(_ msg: String, hint: String? = nil) -> ChainsnapError {
        ChainsnapError(.invalidArgument, "\(path): \(msg)", object: path,
                       hint: hint ?? "see the fleet file format in README.md (Fleet) or charts/lux/fleet-example.yaml")
    }

    func checkKeys(_ v: FleetValue, _ allowed: Set<String>, _ where_: String) throws {
        guard let entries = v.mapEntries else { throw invalid("\(where_) must be a map") }
        for e in entries where !allowed.contains(e.key) {
            throw invalid("\(where_) has an unknown key \(e.key)", hint: "allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func strings(_ v: FleetValue?, _ what: String) throws -> [String] {
        guard let v else { return [] }
        guard case .list(let items) = v else { throw invalid("\(what) must be a list") }
        return try items.map {
            guard let s = $0.stringValue else { throw invalid("\(what) holds \($0), not a path") }
            return s
        }
    }

    func overrides(_ v: FleetValue?, _ what: String) throws -> FleetValue {
        guard let v else { return .emptyMap }
        guard v.mapEntries != nil else { throw invalid("\(what).overrides must be a map of chart values") }
        return v
    }

    static func dnsLabel(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.first != "-" && s.last != "-"
            && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    func chart(_ s: String) throws -> String {
        if s.contains("://") { return s }
        let p = FleetPaths.absolute(s, base: dir)
        guard FileManager.default.fileExists(atPath: p + "/Chart.yaml") else {
            throw invalid("chart \(s) is not a chart folder (no \(p)/Chart.yaml)", hint: "chart is a folder relative to the fleet file, or an oci:// reference")
        }
        return p
    }

    func parse() throws -> FleetFile {
        try checkKeys(doc, FleetFile.topKeys, "the fleet file")
        if let k = doc["kind"], k != .string("Fleet") { throw invalid("kind must be Fleet, not \(k)") }
        let chart = try doc["chart"].map { v -> String in
            guard let s = v.stringValue else { throw invalid("chart must be a path") }
            return try self.chart(s)
        }
        let common = try strings(doc["valuesFiles"], "valuesFiles").map { FleetPaths.absolute($0, base: dir) }
        let fleetOverrides = try overrides(doc["overrides"], "the fleet file")
        var out: [FleetNetwork] = []
        if let nets = doc["networks"] {
            guard case .list(let items) = nets else { throw invalid("networks must be a list") }
            for item in items {
                out.append(try entry(item, tenant: nil, chart: chart, common: common, base: fleetOverrides))
            }
        }
        if let tenants = doc["tenants"] {
            guard case .list(let items) = tenants else { throw invalid("tenants must be a list") }
            for t in items {
                try checkKeys(t, ["name", "overrides", "networks"], "a tenant")
                guard let name = t["name"]?.stringValue, Self.dnsLabel(name) else {
                    throw invalid("a tenant needs a name of lowercase letters, digits and -")
                }
                let base = fleetOverrides.merged(with: try overrides(t["overrides"], "tenant \(name)"))
                guard case .list(let nets)? = t["networks"], !nets.isEmpty else { throw invalid("tenant \(name) lists no networks") }
                for item in nets { out.append(try entry(item, tenant: name, chart: chart, common: common, base: base)) }
            }
        }
        guard !out.isEmpty else { throw invalid("no networks (networks: or tenants:)") }
        for (i, n) in out.enumerated() {
            if let j = out[..<i].firstIndex(where: { $0.key == n.key }) { throw invalid("network \(n.key) is listed twice (entries \(j + 1) and \(i + 1))") }
            if let o = out[..<i].first(where: { $0.namespace == n.namespace }) {
                throw invalid("\(o.key) and \(n.key) both deploy into namespace \(n.namespace): one network per namespace (the StatefulSet is always luxd)")
            }
        }
        return FleetFile(path: path, networks: out)
    }

    func entry(_ item: FleetValue, tenant: String?, chart fleetChart: String?, common: [String], base: FleetValue) throws -> FleetNetwork {
        var lux: LuxNetworkMapping?
        var e = item
        if item["apiVersion"] != nil {
            try checkKeys(item, FleetFile.luxKeys, "a LuxNetwork entry")
            lux = try LuxNetworkMapping.map(item, source: "\(path) (inline LuxNetwork)")
            e = .emptyMap
        } else {
            try checkKeys(item, FleetFile.entryKeys, "a network entry")
            switch item["luxNetwork"] {
            case .string(let f)?:
                let p = FleetPaths.absolute(f, base: dir)
                lux = try LuxNetworkMapping.map(try YAMLReading.single(p), source: p)
            case .map?:
                lux = try LuxNetworkMapping.map(item["luxNetwork"]!, source: "\(path) (inline LuxNetwork)")
            case nil: break
            case let other?: throw invalid("luxNetwork must be a file path or a LuxNetwork document, not \(other)")
            }
        }
        let given = e["name"]?.stringValue
        guard let name = given ?? lux?.networkName else {
            throw invalid("a network entry needs a name (mainnet, testnet, devnet, …)")
        }
        guard Self.dnsLabel(name) else { throw invalid("network name \(name) must be lowercase letters, digits and -") }
        if let given, let derived = lux?.networkName, given != derived {
            throw invalid("network \(given): its LuxNetwork document is \(derived) (spec.networkId)")
        }
        var notes: [String] = []
        let defaultNS = tenant.map { "lux-\($0)-\(name)" } ?? lux?.namespace ?? "lux-\(name)"
        let namespace = e["namespace"]?.stringValue ?? defaultNS
        guard Self.dnsLabel(namespace) else { throw invalid("namespace \(namespace) is not a valid Kubernetes namespace name") }
        if let tenant, let ns = lux?.namespace, ns != namespace {
            notes.append("metadata.namespace \(ns): tenant \(tenant)'s network goes to \(namespace)")
        }
        if tenant != nil, namespace != defaultNS {
            throw invalid("tenant \(tenant!)'s \(name) must be in namespace \(defaultNS) (the chart puts a tenant's objects there)")
        }
        let release = e["release"]?.stringValue ?? namespace
        guard Self.dnsLabel(release) else { throw invalid("release \(release) is not a valid Helm release name") }
        guard let chartRef = try e["chart"].map({ v -> String in
            guard let s = v.stringValue else { throw invalid("chart must be a path") }
            return try chart(s)
        }) ?? fleetChart else {
            throw invalid("network \(name) has no chart", hint: "set chart: at the top of the fleet file (e.g. chart: charts/lux)")
        }
        var files = common
        if let own = e["valuesFiles"] {
            files += try strings(own, "valuesFiles of \(name)").map { FleetPaths.absolute($0, base: dir) }
        } else if !chartRef.contains("://"), FileManager.default.fileExists(atPath: "\(chartRef)/values-\(name).yaml") {
            files.append("\(chartRef)/values-\(name).yaml")
        }
        for f in files where !FileManager.default.fileExists(atPath: f) {
            throw invalid("values file \(f) (network \(name)) does not exist")
        }
        var values = base
        if let tenant { values = values.merged(with: .map([.init("tenant", .string(tenant))])) }
        if let lux { values = values.merged(with: lux.values) }
        values = values.merged(with: try overrides(e["overrides"], "network \(name)"))
        return FleetNetwork(key: tenant.map { "\($0)/\(name)" } ?? name, name: name, tenant: tenant, namespace: namespace,
                            release: release, chart: chartRef, valuesFiles: files, values: values, luxNetwork: lux, notes: notes)
    }
}
