import SnapshotCore

/// What a LuxNetwork document (the Lux operator's `lux.network/v1alpha1` resource) becomes
/// in this repository's chart (`charts/lux`).
///
/// The fields are the ones luxfi/operator defines in `src/crd.rs` (`LuxNetworkSpec`; its CRD
/// `k8s/crds/luxnetwork-crd.yaml` keeps `spec` schema-free). Every leaf of the document ends
/// up in exactly one of two lists: `mapped` (with the chart values it set) or `unsupported`
/// (with why, and what to do instead). Nothing is dropped silently.
public struct LuxNetworkMapping: Sendable {
    /// A field and the chart values it set.
    public struct Mapped: Sendable, Equatable {
        public var field: String
        public var chartValues: [String]
        public var note: String?
    }

    /// A field the chart cannot express yet.
    public struct Unsupported: Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var reason: String
        public var description: String { "not supported yet: \(field): \(reason)" }
    }

    /// `metadata.name`.
    public var name: String?
    /// `metadata.namespace`.
    public var namespace: String?
    /// The network's name (`mainnet`, `testnet`, `devnet`), from `spec.networkId` or the namespace.
    public var networkName: String?
    /// Chart values set by the document (merged after the values files).
    public var values: FleetValue = .emptyMap
    public var mapped: [Mapped] = []
    public var unsupported: [Unsupported] = []

    /// The unsupported fields grouped by reason, in document order: one line per reason.
    public var unsupportedLines: [String] {
        var order: [String] = []
        var fields: [String: [String]] = [:]
        for u in unsupported {
            if fields[u.reason] == nil { order.append(u.reason) }
            fields[u.reason, default: []].append(u.field)
        }
        return order.map { "not supported yet: \(fields[$0]!.joined(separator: ", ")): \($0)" }
    }

    /// luxd network ids (luxfi/node `utils/constants`: 1/2/3 name the primary networks, the
    /// C-chain ids 96369/96368/96370 are accepted for them too) and the C-chain ids of each.
    public static let networkNames: [Int: String] = [1: "mainnet", 2: "testnet", 3: "devnet",
                                                     96369: "mainnet", 96368: "testnet", 96370: "devnet"]
    public static let chainIds: [String: Int] = ["mainnet": 96369, "testnet": 96368, "devnet": 96370]

    /// `LuxNetworkSpec`'s fields (luxfi/operator `src/crd.rs`).
    public static let specFields: Set<String> = [
        "networkId", "validators", "image", "storage", "resources", "config", "genesis", "genesisConfigMap", "mpc",
        "metrics", "service", "chainTracking", "snapshot", "rlpImport", "ports", "staking", "init", "startupScript",
        "security", "adoptExisting", "chains", "consensus", "dbType", "upgradeConfig", "evmConfig", "gateway",
        "bootstrap", "api", "networkCompressionType", "chainAliases", "importChainData", "healthPolicy",
        "upgradeStrategy", "seedRestore", "snapshotSchedule", "startupGate", "allowValidatorRemoval",
    ]
    /// Fields whose value is free-form (a map or a JSON document): mapped or reported as a whole.
    static let wholeFields: Set<String> = ["spec.config", "spec.genesis", "spec.upgradeConfig", "spec.evmConfig",
                                           "spec.chainAliases", "spec.service.annotations", "metadata.labels",
                                           "metadata.annotations"]

    /// The leaves of a document the mapping accounts for: scalars, lists, and free-form fields as a whole.
    public static func leaves(of doc: FleetValue, prefix: String = "") -> [String] {
        guard !wholeFields.contains(prefix), case .map(let entries) = doc, !entries.isEmpty else { return [prefix] }
        return entries.flatMap { leaves(of: $0.value, prefix: prefix.isEmpty ? $0.key : prefix + "." + $0.key) }
    }

    /// Maps one LuxNetwork document. Throws when it is not a LuxNetwork or lacks what the CRD requires.
    public static func map(_ doc: FleetValue, source: String) throws -> LuxNetworkMapping {
        var m = LuxNetworkMapper(doc: doc, source: source)
        try m.run()
        return m.result
    }
}

/// The rules, applied field by field; whatever no rule took is reported as unsupported.
struct LuxNetworkMapper {
    let doc: FleetValue
    let source: String
    var result = LuxNetworkMapping()
    private var done: Set<String> = []

    init(doc: FleetValue, source: String) {
        self.doc = doc
        self.source = source
    }

    func value(_ path: String) -> FleetValue? { doc.at(path.split(separator: ".").map(String.init)) }

    private func invalid(_ msg: String) -> ChainsnapError {
        ChainsnapError(.invalidArgument, "\(source): \(msg)", object: source,
                       hint: "see luxfi/operator src/crd.rs (LuxNetworkSpec) for the field's type")
    }

    /// Records `field` as mapped to `chart` = `v`.
    mutating func set(_ field: String, _ chart: String, _ v: FleetValue, note: String? = nil) {
        result.values.set(chart.split(separator: ".").map(String.init), v)
        mapped(field, [chart], note: note)
    }

    mutating func mapped(_ field: String, _ chart: [String], note: String? = nil) {
        if let i = result.mapped.firstIndex(where: { $0.field == field }) {
            result.mapped[i].chartValues += chart
        } else {
            result.mapped.append(.init(field: field, chartValues: chart, note: note))
        }
        done.insert(field)
    }

    mutating func unsupported(_ field: String, _ reason: String) {
        result.unsupported.append(.init(field: field, reason: reason))
        done.insert(field)
    }

    /// Every leaf under `prefix` not yet accounted for, as mapped to nothing with `note`.
    mutating func mappedTree(_ prefix: String, note: String) {
        guard let v = value(prefix) else { return }
        for n in LuxNetworkMapping.leaves(of: v, prefix: prefix) where !done.contains(n) { mapped(n, [], note: note) }
    }

    /// Every leaf under `prefix` not yet accounted for, as unsupported with `reason`.
    mutating func unsupportedTree(_ prefix: String, _ reason: String) {
        guard let v = value(prefix) else { return }
        let names = LuxNetworkMapping.leaves(of: v, prefix: prefix)
        for n in names where !done.contains(n) { unsupported(n, reason) }
    }

    func string(_ path: String) throws -> String? {
        guard let v = value(path) else { return nil }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw invalid("\(path) must be a string, not \(v)")
        }
    }

    func int(_ path: String) throws -> Int? {
        guard let v = value(path) else { return nil }
        guard let i = v.intValue else { throw invalid("\(path) must be a whole number, not \(v)") }
        return i
    }

    func bool(_ path: String) throws -> Bool? {
        guard let v = value(path) else { return nil }
        guard let b = v.boolValue else { throw invalid("\(path) must be true or false, not \(v)") }
        return b
    }

    mutating func run() throws {
        guard try string("apiVersion") == "lux.network/v1alpha1", try string("kind") == "LuxNetwork" else {
            throw invalid("not a LuxNetwork: apiVersion must be lux.network/v1alpha1 and kind LuxNetwork (got \(value("apiVersion")?.description ?? "none") / \(value("kind")?.description ?? "none"))")
        }
        done.formUnion(["apiVersion", "kind"])
        guard case .map(let spec)? = value("spec") else { throw invalid("spec is missing") }
        for e in spec where !LuxNetworkMapping.specFields.contains(e.key) {
            unsupportedTree("spec." + e.key, "not a LuxNetwork field (luxfi/operator src/crd.rs has no \(e.key)): a typo?")
        }
        try metadata()
        try identity()
        try node()
        try restore()
        try snapshotSchedule()
        try startupGate()
        try unsupportedRest()
    }

    private mutating func metadata() throws {
        if let name = try string("metadata.name") {
            result.name = name
            if name == "luxd" {
                mapped("metadata.name", [], note: "the chart's StatefulSet is always named luxd")
            } else {
                unsupported("metadata.name", "the chart always names the StatefulSet luxd (pods luxd-0…), not \(name)")
            }
        }
        if let ns = try string("metadata.namespace") {
            result.namespace = ns
            mapped("metadata.namespace", [], note: "the release namespace (helm -n \(ns))")
        }
        unsupportedTree("metadata", "only metadata.name and metadata.namespace are used")
    }

    private mutating func identity() throws {
        guard let id = try int("spec.networkId") else { throw invalid("spec.networkId is missing (the CRD requires it)") }
        guard let n = try int("spec.validators") else { throw invalid("spec.validators is missing (the CRD requires it)") }
        guard id >= 1 else { throw invalid("spec.networkId must be at least 1") }
        guard n >= 1 && n <= 100 else { throw invalid("spec.validators must be between 1 and 100, not \(n)") }
        set("spec.networkId", "network.networkId", .int(id), note: "luxd --network-id, as the operator passes it")
        if let name = LuxNetworkMapping.networkNames[id] {
            result.networkName = name
            set("spec.networkId", "network.name", .string(name))
            if let c = LuxNetworkMapping.chainIds[name] { set("spec.networkId", "network.chainId", .int(c)) }
        } else if let ns = result.namespace, ns.hasPrefix("lux-") {
            result.networkName = String(ns.dropFirst(4))
        }
        set("spec.validators", "replicas", .int(n))
        if let tag = try string("spec.image.tag") { set("spec.image.tag", "image.tag", .string(tag)) }
        if let repo = try string("spec.image.repository") { set("spec.image.repository", "image.repository", .string(repo)) }
        if let p = try string("spec.image.pullPolicy") { set("spec.image.pullPolicy", "image.pullPolicy", .string(p)) }
        if let s = value("spec.image.pullSecrets") { set("spec.image.pullSecrets", "imagePullSecrets", s) }
        if let p = try int("spec.ports.http") { set("spec.ports.http", "ports.http", .int(p)) }
        if let p = try int("spec.ports.staking") { set("spec.ports.staking", "ports.staking", .int(p)) }
        if let s = try string("spec.storage.size") { set("spec.storage.size", "storage.size", .string(s)) }
        if let s = try string("spec.storage.storageClass") { set("spec.storage.storageClass", "storage.storageClass", .string(s)) }
        for (f, chart) in [("cpuRequest", "resources.requests.cpu"), ("memoryRequest", "resources.requests.memory"),
                           ("cpuLimit", "resources.limits.cpu"), ("memoryLimit", "resources.limits.memory")] {
            if let s = try string("spec.resources." + f) { set("spec.resources." + f, chart, .string(s)) }
        }
        for (f, chart) in [("runAsUser", "runAsUser"), ("runAsGroup", "runAsGroup"), ("fsGroup", "fsGroup")] {
            if let i = try int("spec.security." + f) { set("spec.security." + f, "podSecurityContext." + chart, .int(i)) }
        }
    }

    /// luxd settings the chart passes through `node.config` (luxd's config.json keys).
    private mutating func node() throws {
        if let all = try bool("spec.chainTracking.trackAllChains") { set("spec.chainTracking.trackAllChains", "node.trackAllChains", .bool(all)) }
        if let list = value("spec.chainTracking.trackedChains") {
            set("spec.chainTracking.trackedChains", "node.trackChains", list)
        }
        if case .map(let cfg)? = value("spec.config") {
            for e in cfg { result.values.set(["node", "config", e.key], e.value) }
            mapped("spec.config", cfg.map { "node.config." + $0.key }, note: "keys of luxd's config.json")
        }
        let configKeys: [(String, String)] = [
            ("spec.consensus.sybilProtectionEnabled", "sybil-protection-enabled"),
            ("spec.consensus.sampleSize", "snow-sample-size"), ("spec.consensus.quorumSize", "snow-quorum-size"),
            ("spec.consensus.allowPrivateIps", "network-allow-private-ips"),
            ("spec.api.adminEnabled", "api-admin-enabled"), ("spec.api.metricsEnabled", "api-metrics-enabled"),
            ("spec.api.indexEnabled", "index-enabled"), ("spec.api.httpAllowedHosts", "http-allowed-hosts"),
            ("spec.dbType", "db-type"), ("spec.networkCompressionType", "network-compression-type"),
        ]
        for (field, key) in configKeys {
            if let v = value(field) { set(field, "node.config." + key, v, note: "luxd --\(key)") }
        }
    }

    /// The init container's restore: `seedRestore` (ObjectStore) or `snapshot`, into `initMode`.
    private mutating func restore() throws {
        var from: (field: String, url: String)?
        if let enabled = try bool("spec.seedRestore.enabled") {
            let kind = try string("spec.seedRestore.sourceType") ?? "None"
            if !enabled {
                mappedTree("spec.seedRestore", note: "seed restore off: initMode.from stays empty (the node syncs from peers)")
            } else if kind == "ObjectStore", let url = try string("spec.seedRestore.objectStoreUrl") {
                from = ("spec.seedRestore.objectStoreUrl", url)
                mapped("spec.seedRestore.enabled", ["initMode.from"])
                mapped("spec.seedRestore.sourceType", ["initMode.from"], note: "chainsnap node prepare-data restores the archive")
            } else {
                unsupportedTree("spec.seedRestore", "seed restore from \(kind) is not supported by the chart yet (only sourceType ObjectStore with objectStoreUrl)")
            }
            if let p = try string("spec.seedRestore.restorePolicy"), !done.contains("spec.seedRestore.restorePolicy") {
                if p == "IfNotSeeded" {
                    mapped("spec.seedRestore.restorePolicy", [], note: "the chart restores only an empty volume (its marker: db/.chainsnap-restore.json)")
                } else {
                    unsupported("spec.seedRestore.restorePolicy", "\(p): the chart restores only into an empty volume; re-restore one pod with chainsnap fleet recover")
                }
            }
            if try string("spec.seedRestore.markerPath") != nil, !done.contains("spec.seedRestore.markerPath") {
                unsupported("spec.seedRestore.markerPath", "chainsnap keeps its own marker (db/.chainsnap-restore.json); another marker path is not read")
            }
        }
        if try bool("spec.snapshot.enabled") == true, let url = try string("spec.snapshot.url") {
            if let other = from {
                throw invalid("both \(other.field) and spec.snapshot.url name a restore source: keep one")
            }
            from = ("spec.snapshot.url", url)
            mapped("spec.snapshot.enabled", ["initMode.from"])
            if try bool("spec.snapshot.skipIfExists") != false {
                if value("spec.snapshot.skipIfExists") != nil { mapped("spec.snapshot.skipIfExists", [], note: "the chart never restores over existing data") }
            } else {
                unsupported("spec.snapshot.skipIfExists", "false: the chart never restores over existing data; use chainsnap fleet recover for one pod")
            }
            if value("spec.snapshot.expectedSize") != nil {
                unsupported("spec.snapshot.expectedSize", "chainsnap reads the size from the store; this value is not used")
            }
        }
        if let from {
            set(from.field, "initMode.from", .string(from.url))
        }
    }

    /// `snapshotSchedule` → the chart's snapshot CronJob (+ the RLP export CronJob for `includeRlpExports`).
    private mutating func snapshotSchedule() throws {
        let p = "spec.snapshotSchedule."
        guard let enabled = try bool(p + "enabled") else { return }
        guard enabled else {
            set(p + "enabled", "cronJobs.snapshot.enabled", .bool(false))
            mappedTree("spec.snapshotSchedule", note: "not used while snapshotSchedule.enabled is false")
            return
        }
        set(p + "enabled", "cronJobs.snapshot.enabled", .bool(true), note: "VolumeSnapshot of one pod's PVC, then chainsnap snapshot create")
        let seconds = try int(p + "intervalSeconds") ?? 3600
        let schedule = Self.cron(everySeconds: seconds)
        if let schedule {
            set(p + "intervalSeconds", "cronJobs.snapshot.schedule", .string(schedule))
        } else {
            unsupported(p + "intervalSeconds", "\(seconds) s is not a cron schedule (use a divisor of an hour or of a day); set overrides cronJobs.snapshot.schedule")
        }
        if let endpoint = try string(p + "objectStoreEndpoint") {
            set(p + "objectStoreEndpoint", "store.endpoint", .string(endpoint))
            set(p + "objectStoreEndpoint", "store.pathStyle", .bool(true), note: "path-style addressing, as MinIO-style endpoints need")
        }
        let bucket = try string(p + "bucket") ?? "lux-snapshots"
        let prefix = (try string(p + "prefix") ?? "").trimmingSlashes
        let to = "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        set(value(p + "bucket") != nil ? p + "bucket" : p + "enabled", "cronJobs.snapshot.to", .string(to))
        if value(p + "prefix") != nil { mapped(p + "prefix", ["cronJobs.snapshot.to"]) }
        if let i = try int(p + "sourceNodeIndex") { set(p + "sourceNodeIndex", "cronJobs.snapshot.podIndex", .int(i)) }
        if let n = try int(p + "maxRetained") { set(p + "maxRetained", "cronJobs.snapshot.keepLast", .int(n)) }
        if try bool(p + "includeRlpExports") ?? true {
            result.values.set(["cronJobs", "rlpExport", "enabled"], .bool(true))
            result.values.set(["cronJobs", "rlpExport", "to"], .string(to))
            if let schedule { result.values.set(["cronJobs", "rlpExport", "schedule"], .string(schedule)) }
            mapped(p + "includeRlpExports", ["cronJobs.rlpExport.enabled", "cronJobs.rlpExport.to", "cronJobs.rlpExport.schedule"],
                   note: "the C-chain's new blocks as an RLP bundle in the same store (rlp/{network}/)")
        } else if value(p + "includeRlpExports") != nil {
            mapped(p + "includeRlpExports", [], note: "no RLP export CronJob")
        }
        let creds = "the chart reads store credentials from one Secret with keys access-key-id and secret-access-key: create it (kubectl create secret generic snapshot-store --from-literal=access-key-id=… --from-literal=secret-access-key=…) and set overrides store.credentialsSecret"
        if value(p + "accessKey") != nil { unsupported(p + "accessKey", "an access key in the document; " + creds) }
        if value(p + "secretKeyRef") != nil { unsupported(p + "secretKeyRef", "a Secret holding only the secret key; " + creds) }
    }

    /// `startupGate` → the supervisor's wait for the other pods before starting luxd.
    private mutating func startupGate() throws {
        let p = "spec.startupGate."
        if let t = try int(p + "timeoutSeconds") {
            set(p + "timeoutSeconds", "bootstrap.waitSeconds", .int(t), note: "seconds the supervisor waits for the other pods' DNS names")
        }
        if let action = try string(p + "onTimeout") {
            if action == "StartAnyway" {
                mapped(p + "onTimeout", ["bootstrap.waitSeconds"], note: "after the wait the supervisor starts luxd with the peers it found")
            } else {
                unsupported(p + "onTimeout", "\(action): the supervisor always starts luxd after bootstrap.waitSeconds")
            }
        }
        unsupportedTree("spec.startupGate", "the supervisor waits for the peers' DNS names only (bootstrap.waitSeconds)")
    }

    /// Known fields without a chart value yet, with the reason an operator needs.
    private mutating func unsupportedRest() throws {
        let reasons: [(String, String)] = [
            ("spec.adoptExisting", "helm installs objects it owns; objects the operator created (StatefulSet luxd, its Services and ConfigMaps) must be deleted first or labelled app.kubernetes.io/managed-by=Helm and annotated meta.helm.sh/release-name and meta.helm.sh/release-namespace (the chart's pods mount PVCs data-luxd-N: check the existing PVCs carry those names, or the pods start on empty volumes)"),
            ("spec.genesisConfigMap", "the chart renders ConfigMap luxd-genesis from its genesis/{network}.json; an existing ConfigMap is not read (put the genesis in the chart, or set network.genesisFile)"),
            ("spec.genesis", "put the genesis file into the chart (charts/lux/genesis/) and set network.genesisFile"),
            ("spec.staking", "the chart keeps each validator's staking keys on its own volume (/data/staking, never cleared); keys from a Secret or KMS are not mounted yet: copy them into each PVC's staking/ before the first start"),
            ("spec.rlpImport", "the chart imports a chainsnap RLP bundle (rlpImport.from); a single RLP file at baseUrl/filename is imported by hand with chainsnap rlp import --base-url … --file … --parts …"),
            ("spec.chainTracking.aliases", "the chart sets aliases as chain=alias pairs (node.aliases)"),
            ("spec.chainAliases", "set node.aliases (chain and alias) in overrides"),
        ]
        for (field, reason) in reasons { unsupportedTree(field, reason) }
        for leaf in LuxNetworkMapping.leaves(of: doc) where !done.contains(leaf) && !done.contains(where: { leaf.hasPrefix($0 + ".") }) {
            unsupported(leaf, "no chart value for it yet")
        }
    }

    /// A cron schedule running every `s` seconds, when cron can say it.
    static func cron(everySeconds s: Int) -> String? {
        guard s > 0, s % 60 == 0 else { return nil }
        let m = s / 60
        if m < 60 { return 60 % m == 0 ? (m == 1 ? "* * * * *" : "*/\(m) * * * *") : nil }
        guard m % 60 == 0 else { return nil }
        let h = m / 60
        if h == 1 { return "0 * * * *" }
        if h < 24 { return 24 % h == 0 ? "0 */\(h) * * *" : nil }
        return h == 24 ? "0 0 * * *" : nil
    }
}

extension String {
    var trimmingSlashes: String {
        var s = Substring(self)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}
