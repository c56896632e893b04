import Fleet
import Foundation
import SnapshotCore
import KubeClient
import NodeRPC
import Testing
import TestSupport

/// What `fleet status`, `fleet roll`, `fleet recover` and `k8s volume-snapshot` do after parsing
/// their flags, called in-process against the stand-in API server (the binary's runs are in
/// FleetStandinTests and VolumeSnapshotStandinTests).
@Suite("fleet command runs in-process against the stand-in Kubernetes API", .serialized, .enabled(if: KubeStandin.available))
struct FleetCommandRunsTests {
    static func roller(_ k: KubeStandin, log: LineLog) throws -> FleetRoller {
        let kube = KubeClient(connection: try KubeConnection.resolve(KubeSelection(kubeconfig: k.tokenKubeconfig())))
        return FleetRoller(probe: NodeProbe(kube: kube, access: NodeAccess()), log: { log.add($0) })
    }

    @Test("status: one look written as JSON lines; a lagging pod is the failure thrown after the look is written")
    func status() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--lag", "luxd-3=50"]) }
        let roller = try Self.roller(k, log: LineLog())
        let out = LineLog()
        let e = await #expect(throws: ChainsnapError.self) {
            try await FleetStatus(namespaces: [], allNamespaces: false, statefulSet: nil, maxLag: 10)
                .run(roller, json: true, watch: false, interval: 1, write: { out.add($0) })
        }
        #expect(e?.message.contains("1 of 5 pods are not ok") == true, "\(e?.message ?? "")")
        #expect(out.lines.count == 1, "one look, one write")
        let rows = out.lines.first?.split(separator: "\n") ?? []
        #expect(rows.count == 5 && rows.allSatisfy { $0.hasPrefix("{") })
        #expect(rows.contains { $0.contains("\"pod\":\"luxd-3\"") && $0.contains("\"ok\":false") })
        // Within a wider lag every pod is fine: the table, and no error.
        let table = LineLog()
        try await FleetStatus(namespaces: ["lux-test"], allNamespaces: false, statefulSet: "luxd", maxLag: 100)
            .run(roller, json: false, watch: false, interval: 1, write: { table.add($0) })
        #expect(table.lines.count == 1 && table.lines[0].hasPrefix("NAMESPACE") && !table.lines[0].hasPrefix("—"), "\(table.lines)")
    }

    @Test("status --watch: a look every interval, each under its time line, until the task is cancelled")
    func watch() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0"]) }
        let roller = try Self.roller(k, log: LineLog())
        let out = LineLog()
        let task = Task {
            try await FleetStatus(namespaces: [], allNamespaces: false, statefulSet: nil, maxLag: 10)
                .run(roller, json: false, watch: true, interval: 0.2, write: { out.add($0) })
        }
        let deadline = Date().addingTimeInterval(120)  // a loaded 2-core machine can hold a look back
        while out.lines.count < 3 && Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        task.cancel()
        _ = await task.result
        #expect(out.lines.count >= 3)
        #expect(out.lines.allSatisfy { $0.hasPrefix("— ") && $0.contains("\nNAMESPACE") }, "\(out.lines.first ?? "")")
    }

    @Test("roll and recover dry runs: the plan is handed out, a refusal thrown, nothing deleted")
    func dryRuns() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--lag", "luxd-3=50"]) }
        let log = LineLog()
        let roller = try Self.roller(k, log: log)
        let sts = try await roller.statefulSet(namespace: "lux-test", name: "luxd")
        let plan = LineLog()
        await #expect(throws: ChainsnapError.self) {
            try await roller.rollCommand(sts, options: RollOptions(maxLag: 10), dryRun: true, out: { plan.add($0) })
        }
        #expect(plan.lines.contains { $0.hasPrefix("plan:") }, "\(plan.lines)")
        let recover = LineLog()
        try await FleetRecoverer(roller: roller).recoverCommand(
            sts, pod: "luxd-2", request: RecoveryRequest.make(mode: .restore, from: nil, snapshot: "snap-1"), options: RollOptions(maxLag: 100),
            force: false, dryRun: true, out: { recover.add($0) })
        #expect(recover.lines.contains { $0.contains("luxd-2") }, "\(recover.lines)")
        #expect(try await offloaded { try k.deletedPods() } == [])
    }

    @Test("volume-snapshot's head: --rpc and --pod (through the pod proxy) read the same head the node reports")
    func headSources() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--replicas", "1"]) }
        let kube = KubeClient(connection: try KubeConnection.resolve(KubeSelection(kubeconfig: k.tokenKubeconfig())))
        let state = try JSONSerialization.jsonObject(with: try await offloaded { try k.stateData() }) as? [String: Any] ?? [:]
        let port = ((state["pods"] as? [String: [String: Any]])?["luxd-0"]?["nodePort"] as? Int) ?? 0
        let rpc = HeadSource.rpc(url: "http://127.0.0.1:\(port)", path: "/ext/bc/C/rpc")
        let pod = HeadSource.pod(name: "luxd-0", port: nil, path: "/ext/bc/C/rpc")
        #expect(rpc.description == "http://127.0.0.1:\(port)" && pod.description == "pod luxd-0 through the pod proxy")
        let direct = try await NodeClient(endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)")).blockNumber()
        let viaRPC = try await rpc.reader(kube: kube, namespace: "lux-test")()
        let viaPod = try await pod.reader(kube: kube, namespace: "lux-test")()
        #expect(viaRPC.number >= direct && viaPod.number >= direct && viaRPC.hash.hasPrefix("0x") && viaPod.hash.hasPrefix("0x"))
        await #expect(throws: ChainsnapError.self) {
            _ = try await HeadSource.pod(name: "no-such-pod", port: nil, path: "/").reader(kube: kube, namespace: "lux-test")
        }
    }
}
