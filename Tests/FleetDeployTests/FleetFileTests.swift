import FleetDeploy
import Foundation
import SnapshotCore
import Testing
import TestSupport

@Suite("Fleet files, values trees and diffs")
struct FleetFileTests {
    static let example = Paths.packageRoot + "/charts/lux/fleet-example.yaml"
    static let chart = Paths.packageRoot + "/charts/lux"

    @Test("the example fleet file: networks, tenant, namespaces, releases, values files, layered values")
    func example() throws {
        let f = try FleetFile.load(Self.example)
        #expect(f.networks.map(\.key) == ["mainnet", "testnet", "devnet", "acme/testnet"])
        #expect(f.networks.map(\.namespace) == ["lux-mainnet", "lux-testnet", "lux-devnet", "lux-acme-testnet"])
        #expect(f.networks.map(\.release) == f.networks.map(\.namespace))
        #expect(f.networks.allSatisfy { $0.chart == Self.chart })
        #expect(f.networks[0].valuesFiles == [Self.chart + "/values-mainnet.yaml"], "the network's values file by default")
        #expect(f.networks[3].valuesFiles == [Self.chart + "/values-testnet.yaml"])
        #expect(f.networks[3].values["tenant"] == .string("acme"))
        #expect(f.networks[3].values["replicas"] == .int(3))
        #expect(f.networks.allSatisfy { $0.values.at(["chainsnap", "image", "tag"]) == .string("0.1.0") }, "fleet overrides reach every network")
        #expect(f.networks[1].luxNetwork != nil && f.networks[1].luxNetwork!.unsupported.isEmpty)
        #expect(f.networks[1].values.at(["store", "credentialsSecret"]) == .string("snapshot-store"), "the entry's overrides apply after the document")
        #expect(try f.select(["acme/testnet", "lux-devnet"]).map(\.key) == ["acme/testnet", "devnet"])
        let e = #expect(throws: ChainsnapError.self) { try f.select(["mainet"]) }
        #expect(e?.message.contains("no network mainet") == true)
        #expect(e?.hint?.contains("mainnet (lux-mainnet), testnet (lux-testnet), devnet (lux-devnet), acme/testnet (lux-acme-testnet)") == true, "\(e?.hint ?? "")")
    }

    func load(_ text: String) throws -> FleetFile {
        let dir = TempDir()
        let p = dir.sub("fleet.yaml")
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return try withExtendedLifetime(dir) { try FleetFile.load(p) }
    }

    @Test("fleet file mistakes give errors that say what to fix")
    func mistakes() throws {
        let cases: [(String, String)] = [
            ("chart: \(Self.chart)\nnetwork: [{name: mainnet}]", "unknown key network"),
            ("chart: \(Self.chart)\nnetworks: [{name: mainnet, overide: {}}]", "unknown key overide"),
            ("networks: [{name: mainnet}]", "has no chart"),
            ("chart: /nonexistent\nnetworks: [{name: mainnet}]", "not a chart folder"),
            ("chart: \(Self.chart)\nnetworks: [{name: mainnet}, {name: mainnet}]", "listed twice"),
            ("chart: \(Self.chart)\nnetworks: [{name: mainnet}, {name: main, namespace: lux-mainnet}]", "both deploy into namespace lux-mainnet"),
            ("chart: \(Self.chart)\nnetworks: [{name: Main_Net}]", "lowercase"),
            ("chart: \(Self.chart)\nnetworks: [{name: mainnet, valuesFiles: [nope.yaml]}]", "does not exist"),
            ("chart: \(Self.chart)\nnetworks: []", "no networks"),
            ("chart: \(Self.chart)\nnetworks: [{name: testnet, luxNetwork: {apiVersion: lux.network/v1alpha1, kind: LuxNetwork, spec: {networkId: 1, validators: 5}}}]",
             "its LuxNetwork document is mainnet"),
        ]
        for (text, want) in cases {
            let e = #expect(throws: ChainsnapError.self, "\(text)") { try load(text) }
            #expect(e?.description.contains(want) == true, "\(text): \(e?.description ?? "no error")")
        }
    }

    @Test("values merge as helm merges them; the YAML written reads back to the same tree")
    func mergeAndYAML() throws {
        let base = try YAMLReading.documents("a: {b: 1, c: [1, 2], d: x}\ne: keep\nf: {g: 1}", source: "t")[0]
        let over = try YAMLReading.documents("a: {b: 2, c: [3], d: null}\nf: 5\nh: {i: 'yes', j: \"on\"}", source: "t")[0]
        let m = base.merged(with: over)
        #expect(m.at(["a", "b"]) == .int(2))
        #expect(m.at(["a", "c"]) == .list([.int(3)]), "lists replace")
        #expect(m.at(["a", "d"]) == nil, "null removes a key")
        #expect(m["e"] == .string("keep"))
        #expect(m["f"] == .int(5))
        let tricky = FleetValue.map([.init("s", .string("yes")), .init("n", .string("0123")), .init("q", .string("a: \"b\"\n#c")),
                                     .init("sybil-protection-enabled", .bool(true)), .init("true", .int(1)), .init("l", .list([.map([.init("k", .int(1)), .init("v", .list([]))]), .string("x")])),
                                     .init("e", .emptyMap)])
        let back = try YAMLReading.documents(tricky.yaml(), source: "t")[0]
        #expect(back == tricky, "\(tricky.yaml())")
    }

    @Test("YAML aliases that multiply the document are refused, not expanded")
    func billionLaughs() throws {
        var y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<9 { y += "l\(i): &l\(i) [" + Array(repeating: "*\(i == 1 ? "a" : "l\(i - 1)")", count: 10).joined(separator: ", ") + "]\n" }
        let e = #expect(throws: ChainsnapError.self) { try YAMLReading.documents(y, source: "bomb.yaml") }
        #expect(e?.message.contains("expands to more than") == true)
    }

    @Test("values diff: changed, added and removed leaves; URL queries hidden")
    func diff() throws {
        let a = try YAMLReading.documents("replicas: 5\ninitMode: {from: ''}\nold: 1\nnode: {config: {}}", source: "t")[0]
        let b = try YAMLReading.documents("replicas: 3\ninitMode: {from: 'https://h/x.tar.zst?X-Amz-Signature=abc'}\nnode: {config: {k: v}}", source: "t")[0]
        let lines = ValuesDiff.lines(from: a, to: b)
        #expect(lines == ["~ replicas: 5 -> 3", "~ initMode.from: \"\" -> \"https://h/x.tar.zst?…\"", "+ node.config.k: \"v\"", "- old: 1"], "\(lines)")
    }
}

@Suite("helm invocation helpers")
struct HelmHelperTests {
    @Test("commands print as a shell would take them; helm's error line is what an error quotes")
    func quotingAndErrors() {
        #expect(shellQuoted(["upgrade", "--install", "lux-mainnet", "/a b/charts", "--set", "x=it's"]) ==
                "upgrade --install lux-mainnet '/a b/charts' --set 'x=it'\\''s'")
        let out = Helm.Output(status: 1, stdout: "", stderr: "history.go:56: [debug] getting history\nError: UPGRADE FAILED: \"lux-x\" has no deployed releases\n")
        #expect(out.errorText == "Error: UPGRADE FAILED: \"lux-x\" has no deployed releases")
        #expect(Helm.Output(status: 2, stdout: "", stderr: "").errorText == "exit status 2")
    }

    @Test("helm is looked up on PATH, or taken from --helm; missing helm says how to get it")
    func locate() throws {
        let d = TempDir("bin")
        let p = d.sub("helm")
        try "#!/bin/sh\necho v3.16.2\n".write(toFile: p, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p)
        #expect(Helm.find(explicit: nil, environment: ["PATH": "/nonexistent:\(d.path)"]) == p)
        #expect(Helm.find(explicit: nil, environment: ["PATH": "/nonexistent"]) == nil)
        #expect(try Helm(path: p).checkVersion() == "v3.16.2")
        let e = #expect(throws: ChainsnapError.self) { try Helm.locate(explicit: d.sub("nope"), globalArgs: []) }
        #expect(e?.hint?.contains("https://helm.sh/docs/intro/install/") == true)
    }
}
