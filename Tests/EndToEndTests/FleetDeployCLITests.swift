import Foundation
import Testing
import TestSupport

/// `chainsnap fleet deploy` and `fleet scale`, run as the built binary. No helm binary can be
/// installed here, so the live path runs a stand-in `helm` on PATH (Tests/K8sChecks/standin_helm.py)
/// that records its arguments and the values files it was given and answers as Helm 3 does; the
/// recorded commands then go through Helm's real engine (Tests/K8sChecks/check_fleet_values.py:
/// helm-python-sdk render + lint, strict Kubernetes schemas, the chart checks' assertions).
@Suite("chainsnap fleet deploy / scale (binary, stand-in helm, Helm engine)", .serialized,
       .requiresPython(K8sChartTests.modules, packages: K8sChartTests.packages))
struct FleetDeployCLITests {
    static let root = Paths.packageRoot
    static let chart = root + "/charts/lux"
    static let example = chart + "/fleet-example.yaml"
    static let checker = root + "/Tests/K8sChecks/check_fleet_values.py"
    static var fixtures: String? {
        (ProcessInfo.processInfo.environment["CHAINSNAP_SHARED_FIXTURES"] ?? Paths.sharedFixtures).map { $0 + "/k8s/luxnetwork" }
    }

    /// A stand-in helm on PATH and its state folder.
    final class Standin {
        let dir = TempDir("helm")
        var state: String { dir.sub("state") }
        var bin: String { dir.sub("bin") }
        init() throws {
            try FileManager.default.createDirectory(atPath: dir.sub("state/values"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: bin + "/helm", withDestinationPath: FleetDeployCLITests.root + "/Tests/K8sChecks/standin_helm.py")
        }
        func env(_ extra: [String: String] = [:]) -> [String: String] {
            ["PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "STANDIN_HELM_DIR": state].merging(extra) { $1 }
        }
        /// The argument lists helm was called with, in order.
        var calls: [[String]] {
            guard let text = try? String(contentsOfFile: state + "/calls.jsonl", encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["args"] as? [String]
            }
        }
        /// The releases of the `upgrade` calls, in order.
        var upgraded: [String] { calls.filter { $0.first == "upgrade" }.map { $0[$0[1] == "--install" ? 2 : 1] } }
    }

    func chainsnap(_ args: [String], env: [String: String]) throws -> RunResult {
        try run(Paths.chainsnapBinary, args, environment: env, cwd: Self.root)
    }

    /// Runs the Helm-engine checker; records an issue when it fails (or is missing while required).
    func checkRendered(_ input: [String], expect: [String] = []) throws {
        let python = try Requirements.needPython(K8sChartTests.modules, packages: K8sChartTests.packages)
        let r = try run(python, [Self.checker, "--root", Self.root, "--chainsnap", Paths.chainsnapBinary] + input + expect.flatMap { ["--expect", $0] })
        let fails = r.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.contains("Error") }
        #expect(r.status == 0 && r.stdout.contains("PASSED: 0 failures"), "check_fleet_values.py:\n\(fails.prefix(30).joined(separator: "\n"))\n\(r.output.suffix(1500))")
    }

    /// A fleet file with the three real LuxNetwork documents and a tenant's testnet.
    func fixtureFleet(_ dir: TempDir) throws -> String {
        let f = Self.fixtures!
        let p = dir.sub("fleet.yaml")
        try """
            chart: \(Self.chart)
            networks:
              - luxNetwork: \(f)/mainnet.yaml
              - luxNetwork: \(f)/testnet.yaml
              - luxNetwork: \(f)/devnet.yaml
            tenants:
              - name: acme
                networks:
                  - luxNetwork: \(f)/testnet.yaml
                    overrides: {replicas: 3, services: {perPodLoadBalancer: {enabled: false}}}
            """.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test("--dry-run of the example fleet (3 networks + a tenant): helm commands and values the Helm engine and chart checks accept")
    func dryRunExample() throws {
        let s = try Standin(), d = TempDir("vals")
        let r = try chainsnap(["fleet", "deploy", "--fleet", Self.example, "--dry-run", "--values-dir", d.path], env: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 0, "\(r.output)")
        let helmLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("helm upgrade --install") }
        #expect(helmLines.map { $0.split(separator: " ")[3] } == ["lux-mainnet", "lux-testnet", "lux-devnet", "lux-acme-testnet"])
        #expect(helmLines.allSatisfy { $0.contains(" -n \($0.split(separator: " ")[3]) --create-namespace ") })
        #expect(r.stdout.contains("values diff against the chart's defaults") && r.stdout.contains("helm not found"), "the diff says what it is against")
        #expect(r.stdout.contains("~ replicas: 5 -> 3"))
        #expect(s.calls.isEmpty)
        let out = d.sub("dry-run.txt")
        try r.stdout.write(toFile: out, atomically: true, encoding: .utf8)
        try checkRendered(["--dry-run-output", out], expect: ["lux-devnet=replicas=3", "lux-acme-testnet=tenant=acme", "lux-testnet=cronJobs.snapshot.schedule=0 0 * * *"])
    }

    @Test("--dry-run of the three real LuxNetwork documents + a tenant: unsupported fields named, values accepted by the Helm engine",
          .enabled(if: fixtures != nil, "needs ../shared/fixtures/k8s/luxnetwork"))
    func dryRunFixtures() throws {
        let d = TempDir("fleet")
        let r = try chainsnap(["fleet", "deploy", "--fleet", try fixtureFleet(d), "--dry-run", "--values-dir", d.sub("vals")], env: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("not supported yet: spec.staking.secretName, spec.staking.kms.hostApi"))
        #expect(r.stdout.contains("not supported yet: spec.adoptExisting"))
        #expect(r.stdout.contains("mapped spec.seedRestore.objectStoreUrl -> initMode.from"))
        #expect(r.stdout.contains("48 LuxNetwork fields are not supported yet (listed above): a live deploy needs --accept-unsupported"), "\(r.stdout.suffix(400))")
        #expect(r.stdout.contains("genesis/mainnet.json says networkID 96369"), "the genesis mismatch is pointed out")
        let out = d.sub("dry-run.txt")
        try r.stdout.write(toFile: out, atomically: true, encoding: .utf8)
        try checkRendered(["--dry-run-output", out], expect: ["lux-mainnet=network.networkId=1", "lux-acme-testnet=replicas=3",
                                                               "lux-devnet=initMode.from=http://s3.hanzo.svc.cluster.local:9000/lux-snapshots/devnet/devnet-node0-full.tar.gz"])
    }

    @Test("live deploy with the stand-in helm: every network in order, values through the Helm engine; a second run upgrades")
    func liveAll() throws {
        let s = try Standin()
        let r = try chainsnap(["fleet", "deploy", "--fleet", Self.example], env: s.env())
        #expect(r.status == 0, "\(r.output)")
        #expect(s.calls.first == ["version", "--short"])
        #expect(s.upgraded == ["lux-mainnet", "lux-testnet", "lux-devnet", "lux-acme-testnet"])
        #expect(r.stdout.contains("mainnet: installed release lux-mainnet in lux-mainnet (revision 1)"))
        #expect(r.stdout.contains("not waiting for the pods (no Kubernetes API access from here): check them with `chainsnap fleet status -n lux-mainnet`"))
        try checkRendered(["--calls", s.state + "/calls.jsonl"], expect: ["lux-devnet=replicas=3", "lux-mainnet=initMode.from=s3://lux-snapshots/mainnet"])
        let again = try chainsnap(["fleet", "deploy", "--fleet", Self.example, "devnet", "--kubeconfig", "/tmp/kc", "--context", "prod"], env: s.env())
        #expect(again.status == 0, "\(again.output)")
        #expect(again.stdout.contains("devnet: upgraded release lux-devnet in lux-devnet (revision 2)"))
        #expect(again.stdout.contains("running pods keep their old spec until rolled (`chainsnap fleet roll -n lux-devnet`"))
        #expect(s.upgraded.suffix(1) == ["lux-devnet"], "one network by name: only its release")
        #expect(s.calls.last?.suffix(4) == ["--kubeconfig", "/tmp/kc", "--kube-context", "prod"], "cluster flags reach helm")
        // With helm at hand, a dry run diffs against the release's current values.
        try #"{"replicas": 4, "network": {"name": "devnet", "networkId": 96370, "chainId": 96370}}"#
            .write(toFile: s.state + "/values/lux-devnet.json", atomically: true, encoding: .utf8)
        let calls = s.upgraded.count
        let dry = try chainsnap(["fleet", "deploy", "--fleet", Self.example, "devnet", "--dry-run"], env: s.env())
        #expect(dry.status == 0 && dry.stdout.contains("values diff against release lux-devnet's current values (helm get values --all)"), "\(dry.output)")
        #expect(dry.stdout.contains("~ replicas: 4 -> 3"))
        #expect(s.upgraded.count == calls, "a dry run runs no upgrade")
    }

    @Test("live deploy of the real LuxNetwork documents: refused while fields are unsupported, deployed with --accept-unsupported",
          .enabled(if: fixtures != nil, "needs ../shared/fixtures/k8s/luxnetwork"))
    func liveFixtures() throws {
        let s = try Standin(), d = TempDir("fleet")
        let fleet = try fixtureFleet(d)
        let refused = try chainsnap(["fleet", "deploy", "--fleet", fleet], env: s.env())
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("mainnet: not supported yet: spec.staking.secretName"))
        #expect(refused.stderr.contains("48 LuxNetwork fields are not supported yet") && refused.stderr.contains("--accept-unsupported"), "\(refused.stderr.suffix(600))")
        #expect(s.upgraded.isEmpty, "nothing deployed")
        let r = try chainsnap(["fleet", "deploy", "--fleet", fleet, "--accept-unsupported"], env: s.env())
        #expect(r.status == 0, "\(r.output)")
        #expect(s.upgraded == ["lux-mainnet", "lux-testnet", "lux-devnet", "lux-acme-testnet"])
        try checkRendered(["--calls", s.state + "/calls.jsonl"], expect: ["lux-testnet=network.networkId=2", "lux-acme-testnet=tenant=acme"])
    }

    @Test("an unknown network name is refused with the known ones listed; nothing runs")
    func unknownNetwork() throws {
        let s = try Standin()
        let r = try chainsnap(["fleet", "deploy", "--fleet", Self.example, "mainet"], env: s.env())
        #expect(r.status == 1)
        #expect(r.stderr.contains("has no network mainet"), "\(r.stderr)")
        #expect(r.stderr.contains("known networks: mainnet (lux-mainnet), testnet (lux-testnet), devnet (lux-devnet), acme/testnet (lux-acme-testnet)"), "\(r.stderr)")
        #expect(s.calls.isEmpty)
    }

    @Test("a helm failure stops the deploy there, names the network and what was not started; nothing after it runs")
    func helmFailure() throws {
        let s = try Standin()
        let r = try chainsnap(["fleet", "deploy", "--fleet", Self.example], env: s.env(["STANDIN_HELM_FAIL": "lux-testnet"]))
        #expect(r.status == 1)
        #expect(r.stderr.contains("helm upgrade --install failed for network testnet (release lux-testnet, namespace lux-testnet): Error: INSTALLATION FAILED: cannot patch \"luxd\""), "\(r.stderr)")
        #expect(r.stderr.contains("not started: devnet, acme/testnet"))
        #expect(r.stderr.contains("chainsnap fleet deploy testnet devnet acme/testnet --fleet"), "says how to go on")
        #expect(s.upgraded == ["lux-mainnet", "lux-testnet"])
        #expect(r.stdout.contains("mainnet: installed") && !r.stdout.contains("devnet:"))
    }

    @Test("no helm: the error says how to get it; --roll without the gates fails before anything runs")
    func noHelmAndNoRoller() throws {
        let r = try chainsnap(["fleet", "deploy", "--fleet", Self.example], env: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("helm is not on PATH") && r.stderr.contains("https://helm.sh/docs/intro/install/"), "\(r.stderr)")
        let s = try Standin()
        let roll = try chainsnap(["fleet", "deploy", "--fleet", Self.example, "--roll"], env: s.env())
        #expect(roll.status == 1)
        #expect(roll.stderr.contains("--roll needs Kubernetes API access"), "\(roll.stderr)")
        #expect(s.upgraded.isEmpty)
        let old = try chainsnap(["fleet", "deploy", "--fleet", Self.example], env: s.env(["STANDIN_HELM_VERSION": "v2.17.0+ga690bad"]))
        #expect(old.status == 1 && old.stderr.contains("Helm 3 or 4 is needed"), "\(old.stderr)")
        #expect(s.upgraded.isEmpty)
    }

    @Test("fleet scale: replicas through helm --reuse-values --set replicas=N; scaling down needs --allow-validator-removal")
    func scale() throws {
        let s = try Standin()
        #expect(try chainsnap(["fleet", "deploy", "--fleet", Self.example, "devnet"], env: s.env()).status == 0)
        try #"{"replicas": 3, "network": {"name": "devnet"}}"#.write(toFile: s.state + "/values/lux-devnet.json", atomically: true, encoding: .utf8)
        let down = try chainsnap(["fleet", "scale", "-n", "lux-devnet", "2", "--fleet", Self.example], env: s.env())
        #expect(down.status == 1 && down.stderr.contains("from 3 to 2 validators removes pod luxd-2") && down.stderr.contains("--allow-validator-removal"), "\(down.output)")
        let before = s.upgraded.count
        let dry = try chainsnap(["fleet", "scale", "-n", "lux-devnet", "5", "--fleet", Self.example, "--dry-run"], env: s.env())
        #expect(dry.status == 0 && dry.stdout.contains("helm upgrade lux-devnet \(Self.chart) -n lux-devnet --reuse-values --set replicas=5"), "\(dry.output)")
        #expect(dry.stdout.contains("replicas: 3 -> 5"))
        #expect(s.upgraded.count == before, "a refused scale and a dry run change nothing")
        let up = try chainsnap(["fleet", "scale", "-n", "lux-devnet", "5", "--fleet", Self.example], env: s.env())
        #expect(up.status == 0, "\(up.output)")
        #expect(s.calls.last == ["upgrade", "lux-devnet", Self.chart, "-n", "lux-devnet", "--reuse-values", "--set", "replicas=5"])
        #expect(up.stdout.contains("lux-devnet: replicas 3 -> 5"))
        #expect(up.stdout.contains("the fleet file says 3 validators for lux-devnet"), "\(up.stdout)")
        #expect(up.stdout.contains("not waiting for the new pods (no Kubernetes API access from here)"))
        let allowed = try chainsnap(["fleet", "scale", "-n", "lux-devnet", "2", "--chart", "charts/lux", "--allow-validator-removal"], env: s.env())
        #expect(allowed.status == 0 && s.calls.last?.suffix(2) == ["--set", "replicas=2"], "\(allowed.output)")
        let missing = try chainsnap(["fleet", "scale", "-n", "lux-mainnet", "7", "--chart", "charts/lux"], env: s.env())
        #expect(missing.status == 1 && missing.stderr.contains("cannot read release lux-mainnet's values in lux-mainnet: Error: release: not found"), "\(missing.stderr)")
        let usage = try chainsnap(["fleet", "scale", "-n", "lux-devnet", "5"], env: s.env())
        #expect(usage.status == 64 && usage.stderr.contains("--fleet FILE"), "\(usage.stderr)")
    }
}
