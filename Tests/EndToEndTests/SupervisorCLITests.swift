import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The `chainsnap node …` and `chainsnap k8s …` commands, run as the built binary.
@Suite("chainsnap node supervise / prepare-data / k8s jobs (binary)", .serialized)
struct SupervisorCLITests {
    static let standin = Paths.packageRoot + "/Tests/servers/standin_node.py"

    static func events(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// `chainsnap ARGS…` with stdout and stderr into one pipe, read while it runs.
    static func start(_ args: [String]) throws -> (ChildProcess, PipeDrain) {
        let devNull = try ChildProcess.openNull()
        defer { close(devNull) }
        let (r, w) = try ChildProcess.pipe()
        defer { close(w) }
        do {
            return (try ChildProcess(Paths.chainsnapBinary, args, stdin: devNull, stdout: w, stderr: w), PipeDrain(r))
        } catch {
            close(r)
            throw error
        }
    }

    @Test("SIGTERM to chainsnap reaches the node, and chainsnap exits with the node's status", .requires("python3"))
    func forwardsSigterm() throws {
        let tmp = TempDir("supcli")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let (p, out) = try Self.start(["node", "supervise", "--rpc", "http://127.0.0.1:\(port)", "--health-interval", "0.1", "--alias", "C=evm",
                                       "--", "python3", Self.standin, "--port", "\(port)", "--record", record, "--healthy-after", "0.3", "--exit-status", "42"])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !Self.events(record).contains(where: { $0["method"] as? String == "admin.aliasChain" }) { usleep(50_000) }
        usleep(200_000)
        p.send(SIGTERM)  // to the supervisor only, as the kubelet does
        #expect(p.waitOrKill(within: 20), "chainsnap did not exit after SIGTERM")
        let log = String(decoding: out.finish(by: Date().addingTimeInterval(5)).data, as: UTF8.self)
        #expect(!p.killedBySignal)
        #expect(p.terminationStatus == 42, "log:\n\(log)")
        let ev = Self.events(record)
        #expect(ev.contains { $0["event"] as? String == "signal" && $0["signal"] as? Int == Int(SIGTERM) })
        #expect(log.contains("aliased chain C as evm"))
        #expect(log.contains("passing it to the node"))
    }

    @Test("--import-from runs `chainsnap rlp import` once healthy; a failed import leaves the node running", .requires("python3"))
    func importStepWiring() throws {
        let tmp = TempDir("supcli")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let (p, out) = try Self.start(["node", "supervise", "--rpc", "http://127.0.0.1:\(port)", "--health-interval", "0.1",
                                       "--import-from", "file://" + tmp.sub("no-such-store"), "--network", "devnet", "--work-dir", tmp.sub("work"),
                                       "--min-height", "5", "--import-timeout", "30",
                                       "--", "python3", Self.standin, "--port", "\(port)", "--record", record, "--exit-status", "3"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !out.text.contains("startup complete") { usleep(50_000) }
        #expect(p.isRunning, "the node must keep running after a failed import")
        p.send(SIGTERM)
        #expect(p.waitOrKill(within: 20), "chainsnap did not exit after SIGTERM")
        let text = String(decoding: out.finish(by: Date().addingTimeInterval(5)).data, as: UTF8.self)
        #expect(p.terminationStatus == 3, "log:\n\(text)")
        #expect(text.contains("starting: RLP import (chainsnap rlp import --rpc http://127.0.0.1:\(port) --from file://"), "log:\n\(text)")
        #expect(text.contains("--network devnet") && text.contains("--min-height 5") && text.contains("--timeout 30"))
        #expect(text.contains("warning: RLP import"), "log:\n\(text)")
    }

    @Test("a node that never gets healthy: clear message, exit 1, node stopped", .requires("python3"))
    func neverHealthy() throws {
        let tmp = TempDir("supcli")
        let record = tmp.sub("calls.jsonl")
        let port = Servers.freePort()
        let r = try run(Paths.chainsnapBinary, ["node", "supervise", "--rpc", "http://127.0.0.1:\(port)", "--health-timeout", "1",
                                                "--health-interval", "0.1", "--stop-grace", "5", "--",
                                                "python3", Self.standin, "--port", "\(port)", "--record", record, "--never-healthy"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not healthy") && r.stderr.contains("--health-timeout"), "stderr:\n\(r.stderr)")
        #expect(Self.events(record).contains { $0["event"] as? String == "signal" })
    }

    @Test("node status: heights, lag and sync state across nodes; fails when one is behind, syncing or down", .requires("python3"))
    func status() throws {
        let tmp = TempDir("status")
        var nodes: [ChildProcess] = []
        // SIGKILL: nothing the node does can delay it.
        defer { for n in nodes where n.isRunning { n.send(SIGKILL); n.wait(timeout: nil) } }
        let devNull = try ChildProcess.openNull()
        defer { close(devNull) }
        var urls: [String] = []
        for (i, extra) in [["--height", "1000"], ["--height", "995"], ["--height", "900", "--syncing"]].enumerated() {
            let port = Servers.freePort()
            nodes.append(try ChildProcess("python3", [Self.standin, "--port", "\(port)", "--record", tmp.sub("r\(i)")] + extra,
                                          stdin: devNull, stdout: devNull, stderr: devNull))
            urls.append("http://127.0.0.1:\(port)")
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (0..<3).contains(where: { !FileManager.default.fileExists(atPath: tmp.sub("r\($0)")) }) { usleep(50_000) }

        let two = try run(Paths.chainsnapBinary, ["node", "status", "--rpc", urls[0], "--rpc", urls[1], "--max-lag", "10"])
        #expect(two.status == 0, "\(two.output)")
        #expect(two.stdout.contains("height=1000  lag=0") && two.stdout.contains("height=995  lag=5"), "\(two.stdout)")

        let all = try run(Paths.chainsnapBinary, ["node", "status", "--json", "--max-lag", "10"] + urls.flatMap { ["--rpc", $0] } + ["--rpc", "http://127.0.0.1:1"])
        #expect(all.status == 1)
        #expect(all.stderr.contains("2 of 4 nodes"), "\(all.stderr)")
        let rows = all.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.map { $0["ok"] as? Bool } == [true, true, false, false])
        #expect(rows[2]["syncing"] as? Bool == true && rows[2]["lag"] as? Int == 100)
        #expect(rows[3]["healthy"] as? Bool == false && rows[3]["error"] != nil)
    }

    @Test("bootstrap peers: resolved to IP:PORT for the node's flag, the pod itself left out")
    func bootstrapPeers() throws {
        let r = try run(Paths.chainsnapBinary, ["node", "supervise", "--dry-run", "--bootstrap-wait", "30",
                                                "--bootstrap-peer", "luxd-0.luxd-headless.lux.svc.cluster.local:9651",
                                                "--bootstrap-peer", "localhost:9651", "--bootstrap-flag=--bootstrap-ips", "--", "luxd", "--x"],
                        environment: ["HOSTNAME": "luxd-0"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("bootstrap peers: 1 of 1 resolved"), "\(r.stdout)")
        #expect(r.stdout.contains("node:    luxd --x --bootstrap-ips=127.0.0.1:9651") || r.stdout.contains("--bootstrap-ips=[::1]:9651"), "\(r.stdout)")
    }

    @Test("bootstrap peers with node IDs: --bootstrap-ids paired with the resolved --bootstrap-ips; --public-ip for this pod")
    func bootstrapIDsAndPublicIP() throws {
        let args = ["node", "supervise", "--dry-run",
                    "--bootstrap-peer", "luxd-0.luxd-headless.lux.svc.cluster.local:9651=NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg",
                    "--bootstrap-peer", "no-such-host.invalid:9651=NodeID-MFrZFVCXPv5iCn6M9K6XduxGTYp891xXZ",
                    "--bootstrap-peer", "localhost:9652=NodeID-NFBbbJ4qCmNaCzeW7sxErhvWqvEQMnYcN",
                    "--public-ip-for", "luxd-0=203.0.113.10", "--public-ip-resolution-service", "ifconfigme", "--", "luxd", "--x"]
        let r = try run(Paths.chainsnapBinary, args, environment: ["HOSTNAME": "luxd-0"])
        #expect(r.status == 0, "\(r.output)")
        // The pod itself and the unresolvable peer are left out together with their IDs.
        #expect(r.stdout.contains("bootstrap peers: 1 of 2 resolved; not resolvable yet, left out: no-such-host.invalid:9651"), "\(r.stdout)")
        #expect(r.stdout.contains("--bootstrap-ids=NodeID-NFBbbJ4qCmNaCzeW7sxErhvWqvEQMnYcN\n") || r.stdout.contains("--bootstrap-ids=NodeID-NFBbbJ4qCmNaCzeW7sxErhvWqvEQMnYcN "), "\(r.stdout)")
        #expect(r.stdout.contains("--public-ip=203.0.113.10") && !r.stdout.contains("--public-ip-resolution-service"), "\(r.stdout)")
        // Another pod without a fixed address asks the resolver instead (luxd takes only one of the two).
        let other = try run(Paths.chainsnapBinary, args, environment: ["HOSTNAME": "luxd-1"])
        #expect(other.stdout.contains("--public-ip-resolution-service=ifconfigme") && !other.stdout.contains("--public-ip="), "\(other.stdout)")
        let half = try run(Paths.chainsnapBinary, ["node", "supervise", "--bootstrap-peer", "a:1=NodeID-x", "--bootstrap-peer", "b:1", "--", "luxd"])
        #expect(half.status != 0 && half.stderr.contains("every --bootstrap-peer or with none"), "\(half.stderr)")
    }

    @Test("supervise rejects bad arguments with a usage error")
    func badArguments() throws {
        let noNode = try run(Paths.chainsnapBinary, ["node", "supervise", "--alias", "C=evm"])
        #expect(noNode.status != 0 && noNode.stderr.contains("after `--`"))
        let badAlias = try run(Paths.chainsnapBinary, ["node", "supervise", "--alias", "C", "--", "luxd"])
        #expect(badAlias.status != 0 && badAlias.stderr.contains("CHAIN=ALIAS"))
        let importHalf = try run(Paths.chainsnapBinary, ["node", "supervise", "--import-from", "s3://b/p", "--", "luxd"])
        #expect(importHalf.status != 0 && importHalf.stderr.contains("--network"))
    }

    @Test("prepare-data: leaves unmarked data, does nothing on a marker, clears only chain data")
    func prepareData() throws {
        let tmp = TempDir("prep")
        let data = tmp.sub("data")
        let fm = FileManager.default
        for d in ["staking", "db/x", "chainData/C", "logs"] { try fm.createDirectory(atPath: data + "/" + d, withIntermediateDirectories: true) }
        for f in ["staking/staker.key", "db/x/1.ldb", "chainData/C/s", "logs/l"] { try "v".write(toFile: data + "/" + f, atomically: false, encoding: .utf8) }
        let base = ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--chain-data", "chainData", "--from", "file://" + tmp.sub("store")]

        let leave = try run(Paths.chainsnapBinary, base)
        #expect(leave.status == 0 && leave.stdout.contains("decision: leave as is"), "\(leave.output)")
        #expect(fm.fileExists(atPath: data + "/db/x/1.ldb"))

        try "{\"snapshot\":\"s1\"}".write(toFile: data + "/db/.chainsnap-restore.json", atomically: false, encoding: .utf8)
        let marked = try run(Paths.chainsnapBinary, base)
        #expect(marked.status == 0 && marked.stdout.contains("already restored"), "\(marked.output)")

        let dry = try run(Paths.chainsnapBinary, base + ["--clear-data", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would remove") && fm.fileExists(atPath: data + "/db/x/1.ldb"), "\(dry.output)")

        // The restore from an empty store may fail; what matters here is what was removed.
        let clear = try run(Paths.chainsnapBinary, base + ["--clear-data"])
        #expect(clear.stdout.contains("decision: clear and restore"), "\(clear.output)")
        #expect(!fm.fileExists(atPath: data + "/db/x/1.ldb") && !fm.fileExists(atPath: data + "/chainData/C/s"))
        #expect(fm.fileExists(atPath: data + "/staking/staker.key") && fm.fileExists(atPath: data + "/logs/l"))

        let staking = try run(Paths.chainsnapBinary, ["node", "prepare-data", "--data-dir", data, "--chain-data", "staking", "--from", "file:///x", "--clear-data"])
        #expect(staking.status != 0 && staking.stderr.contains("overlaps protected path"))
        #expect(fm.fileExists(atPath: data + "/staking/staker.key"))
    }

    @Test("k8s restore-job prints a Job with the PVC, the restore command and a Secret reference")
    func restoreJob() throws {
        let r = try run(Paths.chainsnapBinary, ["k8s", "restore-job", "--pvc", "data-luxd-3", "--from", "s3://snaps/lux-mainnet",
                                                "--namespace", "lux-mainnet", "--snapshot", "20260101T000000Z-abc", "--credentials-secret", "store"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("kind: \"Job\""))
        #expect(r.stdout.contains("claimName: \"data-luxd-3\""))
        #expect(r.stdout.contains("secretName: \"store\""))
        #expect(r.stdout.contains("- \"restore\"\n        - \"--from\"\n        - \"s3://snaps/lux-mainnet\"\n        - \"--snapshot\"\n        - \"20260101T000000Z-abc\"\n        - \"/data/db\""), "\(r.stdout)")
        let creds = try run(Paths.chainsnapBinary, ["k8s", "restore-job", "--pvc", "p", "--from", "https://key:secret@host/x"])
        #expect(creds.status != 0 && !creds.stdout.contains("secret@"))

        // A presigned URL stays in its Secret: mounted read-only, read with --from-file.
        let s = try run(Paths.chainsnapBinary, ["k8s", "restore-job", "--pvc", "p", "--from-secret", "snapshot-url"])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.contains("- \"restore\"\n        - \"--from-file\"\n        - \"/var/run/secrets/chainsnap/restore-url/url\""), "\(s.stdout)")
        #expect(s.stdout.contains("secretName: \"snapshot-url\"") && s.stdout.contains("key: \"url\""))
        #expect(!s.stdout.contains("\"--from\""))
        let both = try run(Paths.chainsnapBinary, ["k8s", "restore-job", "--pvc", "p", "--from", "s3://b/p", "--from-secret", "u"])
        #expect(both.status == 64 && both.stderr.contains("not both"))
        let neither = try run(Paths.chainsnapBinary, ["k8s", "restore-job", "--pvc", "p"])
        #expect(neither.status == 64 && neither.stderr.contains("--from-secret"))
    }
}
