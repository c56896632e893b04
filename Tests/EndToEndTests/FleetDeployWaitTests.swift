import Foundation
import Testing
import TestSupport

/// `fleet deploy` and `fleet scale` waiting behind the gates: the stand-in `helm` records its
/// arguments and, as helm's apply would, sends the release's replicas to the stand-in API
/// server's StatefulSet; the API server brings the new pods up (Pending → Init → Running →
/// Ready) and the command waits for them.
@Suite("fleet deploy / scale wait for the pods (stand-in helm + stand-in API)", .serialized,
       .enabled(if: KubeStandin.available))
struct FleetDeployWaitTests {
    static let example = FleetDeployCLITests.example

    func chainsnap(_ args: [String], env: [String: String]) async throws -> RunResult {
        try await offloaded { try run(Paths.chainsnapBinary, args, environment: env, cwd: FleetDeployCLITests.root) }
    }

    func networkState(_ k: KubeStandin, _ ns: String) async throws -> [String: Any] {
        let st = try await offloaded { try k.stateData() }
        let obj = try JSONSerialization.jsonObject(with: st) as? [String: Any] ?? [:]
        return (obj["networks"] as? [String: [String: Any]])?[ns] ?? [:]
    }

    @Test("deploy waits until the StatefulSet's new pods pass the gates; scale up waits for the added pods; exit 0")
    func deployAndScaleWait() async throws {
        // New ordinals appear 3 s after helm's patch (not the stand-in's 0.5 s), so the first poll,
        // however late a loaded machine makes it, still finds pods missing: CI once polled 0.6 s
        // after helm returned and all three pods already existed.
        let k = try await offloaded { try KubeStandin(["--namespace", "lux-devnet", "--replicas", "1", "--rate", "2", "--recreate-delay", "3"]) }
        let s = try FleetDeployCLITests.Standin()
        let kc = k.tokenKubeconfig()
        var started = Date()
        let d = try await chainsnap(["fleet", "deploy", "--fleet", Self.example, "devnet", "--kubeconfig", kc,
                                     "--interval", "0.5", "--pod-timeout", "120"], env: s.env())
        let deployTook = Date().timeIntervalSince(started)
        #expect(d.status == 0, "\(d.output.suffix(3000))")
        #expect(s.upgraded == ["lux-devnet"] && s.calls.last?.suffix(2) == ["--kubeconfig", kc])
        var net = try await networkState(k, "lux-devnet")
        var pods = net["pods"] as? [String: [String: Any]] ?? [:]
        #expect(net["replicas"] as? Int == 3 && pods.count == 3, "helm's replicas (3) reached the StatefulSet: \(net)")
        #expect(pods.values.allSatisfy { $0["stage"] as? String == "ready" }, "\(pods)")
        #expect(d.stderr.contains("lux-devnet: waiting: 1 of 3 pods exist"), "\(d.stderr.suffix(2000))")
        #expect(d.stderr.contains("gate 'advancing'"), "new pods are seen advancing before the deploy ends: \(d.stderr.suffix(2000))")
        #expect(d.stderr.contains("lux-devnet: 3 pods passed the gates"), "\(d.stderr.suffix(1500))")

        try #"{"replicas": 3, "network": {"name": "devnet"}}"#.write(toFile: s.state + "/values/lux-devnet.json", atomically: true, encoding: .utf8)
        started = Date()
        let up = try await chainsnap(["fleet", "scale", "-n", "lux-devnet", "5", "--fleet", Self.example, "--kubeconfig", kc,
                                      "--interval", "0.5", "--pod-timeout", "120"], env: s.env())
        let scaleTook = Date().timeIntervalSince(started)
        #expect(up.status == 0, "\(up.output.suffix(3000))")
        #expect(s.calls.last?.prefix(8) == ["upgrade", "lux-devnet", FleetDeployCLITests.chart, "-n", "lux-devnet", "--reuse-values", "--set", "replicas=5"])
        net = try await networkState(k, "lux-devnet")
        pods = net["pods"] as? [String: [String: Any]] ?? [:]
        #expect(net["replicas"] as? Int == 5 && Set(pods.keys) == Set((0..<5).map { "luxd-\($0)" }), "\(net)")
        #expect(pods.values.allSatisfy { $0["stage"] as? String == "ready" }, "\(pods)")
        #expect(up.stderr.contains("lux-devnet: waiting: 3 of 5 pods exist"), "\(up.stderr.suffix(2000))")
        #expect(up.stdout.contains("lux-devnet: replicas 3 -> 5") && up.stdout.contains("lux-devnet: 5 pods healthy"), "\(up.stdout)")
        print(String(format: "fleet deploy (1 -> 3 pods) waited %.1f s; fleet scale 3 -> 5 waited %.1f s", deployTook, scaleTook))
    }

    @Test("a new pod that comes up stuck: scale exits 1 within --pod-timeout, naming the pod and its gate")
    func scaleStuck() async throws {
        let k = try await offloaded { try KubeStandin(["--namespace", "lux-devnet", "--replicas", "3", "--rate", "2", "--stuck", "luxd-3"]) }
        let s = try FleetDeployCLITests.Standin()
        #expect(try await chainsnap(["fleet", "deploy", "--fleet", Self.example, "devnet"], env: s.env()).status == 0)
        try #"{"replicas": 3}"#.write(toFile: s.state + "/values/lux-devnet.json", atomically: true, encoding: .utf8)
        let started = Date()
        let r = try await chainsnap(["fleet", "scale", "-n", "lux-devnet", "4", "--fleet", Self.example, "--kubeconfig", k.tokenKubeconfig(),
                                     "--interval", "0.5", "--pod-timeout", "8"], env: s.env())
        let took = Date().timeIntervalSince(started)
        #expect(r.status == 1, "\(r.output.suffix(3000))")
        #expect(r.stderr.contains("lux-devnet/luxd did not pass the gates within 8 s"), "\(r.stderr.suffix(2000))")
        let last = r.stderr.split(separator: "\n").last { $0.contains("did not pass the gates") }.map(String.init) ?? ""
        #expect(last.contains("luxd-3: gate 'advancing'") || last.contains("luxd-3: gate 'within max-lag'"), "\(last)")
        #expect(!last.contains("luxd-0") && !last.contains("luxd-1") && !last.contains("luxd-2"), "only the stuck pod is named: \(last)")
        #expect(r.stderr.contains("chainsnap fleet status -n lux-devnet"))
        #expect(took < 30, "bounded by --pod-timeout 8: took \(took) s")
    }
}
