import ArgumentParser
import ChainData
import CommandOptions
import Fleet
import SnapshotCore
import Testing

@Suite("RLPNodeFlags, RLPCutFlags, cluster, gate and helm flags")
struct NodeAndClusterFlagsTests {
    @Test("node endpoints: luxd's paths by default, / for --geth, each path overridable; the timeout goes to the client")
    func nodeEndpoints() throws {
        let luxd = try RLPNodeFlags.parse(["--rpc", "http://luxd:9630/"]).client()
        #expect(luxd.endpoints.baseURL == "http://luxd:9630" && luxd.endpoints.rpcPath == "/ext/bc/C/rpc")
        #expect(luxd.endpoints.adminPath == "/ext/bc/C/admin" && luxd.endpoints.healthPath == "/ext/health")
        let geth = try RLPNodeFlags.parse(["--rpc", "http://geth:8545", "--geth"]).client().endpoints
        #expect(geth.rpcPath == "/" && geth.adminPath == "/" && geth.healthPath == "/")
        let custom = try RLPNodeFlags.parse(["--rpc", "http://n", "--geth", "--rpc-path", "/rpc", "--admin-path", "/adm",
                                             "--health-path", "/h", "--rpc-timeout", "5"]).client()
        #expect(custom.endpoints.rpcPath == "/rpc" && custom.endpoints.adminPath == "/adm" && custom.endpoints.healthPath == "/h")
        #expect(custom.timeout == 5)
        #expect(usage(RLPNodeFlags.self, [])?.exit == 64, "--rpc is required")
    }

    @Test("one way to cut parts: two at once, or a size that is not one, is a usage error; none keeps the bundle's own")
    func cut() throws {
        #expect(try RLPCutFlags.parse([]).cut() == nil)
        #expect(try RLPCutFlags.parse(["--blocks-per-part", "1000"]).cut() == .blocks(1000))
        #expect(try RLPCutFlags.parse(["--by-day"]).cut() == .day)
        for args in [["--blocks-per-part", "10", "--by-day"], ["--part-size", "lots"], ["--blocks-per-part", "0"]] {
            #expect(usage(RLPCutFlags.self, args)?.exit == 64, "\(args) was accepted")
        }
    }

    @Test("cluster and gate flags: ports, timeouts and intervals are checked; the node access follows the flags")
    func cluster() throws {
        for (type, args, message) in [
            (FleetClusterOptions.self as any ParsableArguments.Type, ["--rpc-port", "70000"], "--rpc-port must be between 1 and 65535"),
            (FleetClusterOptions.self, ["--request-timeout", "0"], "--request-timeout must be positive"),
            (FleetGateOptions.self, ["--pod-timeout", "0"], "--pod-timeout and --interval must be positive"),
            (FleetGateOptions.self, ["--interval=-1"], "--pod-timeout and --interval must be positive"),
            (KubeAccessOptions.self, ["--request-timeout=-2"], "--request-timeout must be positive"),
        ] {
            do {
                _ = try type.parse(args)
                Issue.record("\(args) was accepted")
            } catch {
                #expect(type.exitCode(for: error).rawValue == 64 && type.message(for: error).contains(message), "\(args): \(type.message(for: error))")
            }
        }
        let c = try FleetClusterOptions.parse(["--rpc-port", "9630", "--geth", "--chain", "C", "--chain", "X", "--request-timeout", "30"])
        #expect(c.nodeAccess.rpcPort == 9630 && c.nodeAccess.geth && c.nodeAccess.chains == ["C", "X"])
        #expect(c.nodeAccess.timeout == 10, "node requests are capped at 10 s whatever the API timeout")
        #expect(try FleetClusterOptions.parse([]).nodeAccess.chains == nil, "no --chain: the pods' own --alias arguments")
        let g = try FleetGateOptions.parse(["--max-lag", "3", "--pod-timeout", "60", "--interval", "0.5"]).rollOptions(fromPod: "luxd-2")
        #expect(g.maxLag == 3 && g.podTimeout == 60 && g.interval == 0.5 && g.fromPod == "luxd-2")
        let n = try FleetNetworkOptions.parse(["-n", "lux-mainnet", "--dry-run", "--max-lag", "4", "--rpc-port", "9650"])
        #expect(n.namespace == "lux-mainnet" && n.statefulset == "luxd" && n.dryRun && n.gates.maxLag == 4 && n.cluster.rpcPort == 9650)
    }

    @Test("helm: a dry run does without it; a live run names what is missing")
    func helm() throws {
        let missing = try HelmFlags.parse(["--helm", "/nonexistent/helm"])
        #expect(try missing.resolved(dryRun: true) == nil)
        let e = #expect(throws: ChainsnapError.self) { try missing.resolved(dryRun: false) }
        #expect(e?.message == "/nonexistent/helm is not an executable file")
        let h = try #require(try HelmFlags.parse(["--helm", "/bin/true", "--kubeconfig", "/k", "--context", "c"]).resolved(dryRun: false))
        #expect(h.path == "/bin/true" && h.globalArgs == ["--kubeconfig", "/k", "--kube-context", "c"], "helm talks to the cluster named")
    }
}
