import FleetDeploy
import Foundation
import SnapshotCore
import Testing
import TestSupport

/// LuxNetwork documents (`lux.network/v1alpha1`) mapped to charts/lux values. What each field
/// means is taken from luxfi/operator `src/crd.rs` (`LuxNetworkSpec` and its nested specs; the
/// CRD `k8s/crds/luxnetwork-crd.yaml` keeps `spec` schema-free), read with the search tool.
@Suite("LuxNetwork documents → chart values")
struct LuxNetworkMappingTests {
    /// ../shared/fixtures/k8s/luxnetwork (CHAINSNAP_SHARED_FIXTURES names another fixtures folder,
    /// for a worktree whose ../shared is elsewhere).
    static var fixtures: String? {
        (ProcessInfo.processInfo.environment["CHAINSNAP_SHARED_FIXTURES"] ?? Paths.sharedFixtures).map { $0 + "/k8s/luxnetwork" }
    }

    /// Every leaf of a document, recursing into every map (independent of the mapper's own walk).
    static func allLeaves(_ v: FleetValue, _ prefix: String = "") -> [String] {
        guard case .map(let entries) = v, !entries.isEmpty else { return [prefix] }
        return entries.flatMap { allLeaves($0.value, prefix.isEmpty ? $0.key : prefix + "." + $0.key) }
    }

    static func covered(_ leaf: String, by fields: [String]) -> Bool {
        fields.contains { leaf == $0 || leaf.hasPrefix($0 + ".") }
    }

    @Test("the three real LuxNetwork documents: every leaf field is mapped or reported as not supported yet",
          .enabled(if: fixtures != nil, "needs ../shared/fixtures/k8s/luxnetwork"), arguments: ["mainnet", "testnet", "devnet"])
    func everyFieldAccountedFor(network: String) throws {
        let path = Self.fixtures! + "/\(network).yaml"
        let doc = try YAMLReading.single(path)
        let m = try LuxNetworkMapping.map(doc, source: path)
        let mapped = m.mapped.map(\.field), unsupported = m.unsupported.map(\.field)
        let leaves = Self.allLeaves(doc)
        #expect(leaves.count >= 30, "the fixture has \(leaves.count) leaves")
        for leaf in leaves {
            let inMapped = Self.covered(leaf, by: mapped), inUnsupported = Self.covered(leaf, by: unsupported)
            #expect(inMapped || inUnsupported || ["apiVersion", "kind"].contains(leaf), "\(network): \(leaf) is neither mapped nor reported")
            #expect(!(inMapped && inUnsupported), "\(network): \(leaf) is both mapped and reported")
        }
        // What the fields mean (crd.rs) and where they land in the chart.
        let v = m.values
        #expect(m.networkName == network)
        #expect(m.namespace == "lux-\(network)")
        #expect(v.at(["network", "networkId"]) == .int(["mainnet": 1, "testnet": 2, "devnet": 3][network]!), "networkId is luxd --network-id")
        #expect(v.at(["network", "chainId"]) == .int(["mainnet": 96369, "testnet": 96368, "devnet": 96370][network]!))
        #expect(v["replicas"] == .int(5))
        #expect(v.at(["image", "tag"]) == .string("v1.23.23"))
        #expect(v.at(["ports", "http"]) == .int(["mainnet": 9630, "testnet": 9640, "devnet": 9650][network]!))
        #expect(v.at(["node", "trackAllChains"]) == .bool(true))
        #expect(v.at(["node", "config", "sybil-protection-enabled"]) == .bool(network != "devnet"))
        #expect(v.at(["initMode", "from"]) == .string("http://s3.hanzo.svc.cluster.local:9000/lux-snapshots/\(network)/\(network)-node0-full.tar.gz"))
        #expect(v.at(["store", "endpoint"]) == .string("http://s3.hanzo.svc.cluster.local:9000"))
        #expect(v.at(["cronJobs", "snapshot", "to"]) == .string("s3://lux-snapshots/\(network)"))
        #expect(v.at(["cronJobs", "snapshot", "schedule"]) == .string("0 * * * *"), "intervalSeconds 3600 is hourly")
        #expect(v.at(["cronJobs", "snapshot", "keepLast"]) == .int(5))
        #expect(v.at(["cronJobs", "snapshot", "podIndex"]) == .int(0))
        #expect(v.at(["cronJobs", "rlpExport", "enabled"]) == .bool(true), "includeRlpExports")
        #expect(v.at(["bootstrap", "waitSeconds"]) == .int(30), "startupGate.timeoutSeconds with onTimeout StartAnyway")
        // What the chart cannot do yet is named, with what to do instead.
        for field in ["spec.adoptExisting", "spec.genesisConfigMap", "spec.staking.secretName", "spec.staking.kms.auth.credentialsSecret",
                      "spec.snapshotSchedule.accessKey", "spec.snapshotSchedule.secretKeyRef"] {
            #expect(unsupported.contains(field), "\(field) should be reported")
        }
        let lines = m.unsupportedLines.joined(separator: "\n")
        #expect(lines.contains("not supported yet: spec.staking.secretName, spec.staking.kms.hostApi"), "one line per reason: \(lines)")
        #expect(!m.values.yaml().contains("hanzo-s3-secret") && !m.values.yaml().contains("accessKey"), "no credential reference in the values")
    }

    @Test("a misspelt field is reported as not a LuxNetwork field; required fields and the kind are checked")
    func typosAndRequiredFields() throws {
        let doc = try YAMLReading.documents("""
            apiVersion: lux.network/v1alpha1
            kind: LuxNetwork
            metadata: {name: luxd, namespace: lux-devnet}
            spec:
              networkId: 3
              validators: 3
              validatorz: 5
              metrics: {port: 9090}
              healthPolicy: {maxHeightSkew: 10}
            """, source: "t").first!
        let m = try LuxNetworkMapping.map(doc, source: "t")
        #expect(m.unsupported.contains { $0.field == "spec.validatorz" && $0.reason.contains("not a LuxNetwork field") })
        #expect(m.unsupported.contains { $0.field == "spec.metrics.port" && $0.reason == "no chart value for it yet" })
        #expect(m.unsupported.contains { $0.field == "spec.healthPolicy.maxHeightSkew" })
        #expect(m.values["replicas"] == .int(3))

        let noKind = try YAMLReading.documents("apiVersion: v1\nkind: ConfigMap\nspec: {networkId: 1, validators: 1}", source: "t").first!
        #expect(throws: ChainsnapError.self) { try LuxNetworkMapping.map(noKind, source: "t") }
        let noValidators = try YAMLReading.documents("apiVersion: lux.network/v1alpha1\nkind: LuxNetwork\nspec: {networkId: 1}", source: "t").first!
        let e = #expect(throws: ChainsnapError.self) { try LuxNetworkMapping.map(noValidators, source: "t") }
        #expect(e?.message.contains("spec.validators is missing") == true)
        let badType = try YAMLReading.documents("apiVersion: lux.network/v1alpha1\nkind: LuxNetwork\nspec: {networkId: 1, validators: five}", source: "t").first!
        #expect(throws: ChainsnapError.self) { try LuxNetworkMapping.map(badType, source: "t") }
    }

    @Test("seedRestore from another source, snapshot.url, disabled schedules, config and api fields")
    func otherShapes() throws {
        let doc = try YAMLReading.documents("""
            apiVersion: lux.network/v1alpha1
            kind: LuxNetwork
            metadata: {name: validators, namespace: lux-devnet}
            spec:
              networkId: 3
              validators: 1
              config: {log-level: debug, http-allowed-hosts: "*"}
              api: {indexEnabled: false}
              resources: {cpuRequest: "1", memoryLimit: 8Gi}
              security: {runAsUser: 1000, fsGroup: 1000}
              seedRestore: {enabled: true, sourceType: VolumeSnapshot, volumeSnapshotName: snap-1}
              snapshotSchedule: {enabled: false, objectStoreEndpoint: "http://minio:9000"}
              startupGate: {onTimeout: Fail, minPeers: 3}
            """, source: "t").first!
        let m = try LuxNetworkMapping.map(doc, source: "t")
        let un = Set(m.unsupported.map(\.field))
        #expect(un.isSuperset(of: ["metadata.name", "spec.seedRestore.sourceType", "spec.seedRestore.volumeSnapshotName",
                                   "spec.startupGate.onTimeout", "spec.startupGate.minPeers"]), "\(un)")
        #expect(m.values.at(["node", "config", "log-level"]) == .string("debug"))
        #expect(m.values.at(["node", "config", "index-enabled"]) == .bool(false))
        #expect(m.values.at(["resources", "requests", "cpu"]) == .string("1"))
        #expect(m.values.at(["podSecurityContext", "fsGroup"]) == .int(1000))
        #expect(m.values.at(["cronJobs", "snapshot", "enabled"]) == .bool(false))
        #expect(m.values.at(["initMode", "from"]) == nil, "no restore from an unsupported source")
        #expect(m.mapped.contains { $0.field == "spec.snapshotSchedule.objectStoreEndpoint" }, "a disabled schedule's fields are accounted for")
        #expect(m.values.at(["store", "endpoint"]) == nil, "a disabled schedule sets no store")

        let both = try YAMLReading.documents("""
            apiVersion: lux.network/v1alpha1
            kind: LuxNetwork
            spec:
              networkId: 1
              validators: 5
              seedRestore: {enabled: true, sourceType: ObjectStore, objectStoreUrl: "https://a/x.tar.gz"}
              snapshot: {enabled: true, url: "https://b/y.tar.zst"}
            """, source: "t").first!
        #expect(throws: ChainsnapError.self) { try LuxNetworkMapping.map(both, source: "t") }
    }

    @Test("cron schedules from snapshotSchedule.intervalSeconds")
    func cron() throws {
        func schedule(_ s: Int) throws -> FleetValue? {
            let doc = try YAMLReading.documents("""
                apiVersion: lux.network/v1alpha1
                kind: LuxNetwork
                spec: {networkId: 3, validators: 1, snapshotSchedule: {enabled: true, intervalSeconds: \(s), objectStoreEndpoint: "http://m:9000"}}
                """, source: "t").first!
            return try LuxNetworkMapping.map(doc, source: "t").values.at(["cronJobs", "snapshot", "schedule"])
        }
        #expect(try schedule(3600) == .string("0 * * * *"))
        #expect(try schedule(900) == .string("*/15 * * * *"))
        #expect(try schedule(21600) == .string("0 */6 * * *"))
        #expect(try schedule(86400) == .string("0 0 * * *"))
        #expect(try schedule(4000) == nil, "not expressible: reported instead")
    }
}
