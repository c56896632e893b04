import Foundation
import Testing
import TestSupport

/// What the jobs, restores and `chainsnap exporter` report, read back by Prometheus' own tools:
/// promtool, a Pushgateway and a Prometheus server, all on 127.0.0.1.
@Suite struct MonitoringCLITests {
    let bin = Paths.chainsnapBinary

    func value(_ text: String, _ line: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    func expectClean(_ text: String, _ what: String) throws {
        let r = try Promtool.checkMetrics(text)
        #expect(r.status == 0 && r.output.isEmpty, "promtool check metrics on \(what): \(r.output)")
    }

    @Test(.requires("promtool"))
    func jobTextfilesCarryTheLastSuccessAndPassPromtool() throws {
        let t = TempDir("mon-textfile")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store"), prom = t.sub("snapshot.prom")
        let ok = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "devnet", "--height", "42",
                               "--chunk-size", "256KiB", "--metrics-file", prom])
        #expect(ok.status == 0, "\(ok.stderr)")
        let first = try String(contentsOfFile: prom, encoding: .utf8)
        try expectClean(first, "a snapshot create textfile")
        let sel = "{job=\"snapshot-create\",network=\"devnet\"}"
        let success = try #require(value(first, "chainsnap_job_last_success_timestamp_seconds" + sel))
        #expect(abs(success - Date().timeIntervalSince1970) < 60)
        #expect(value(first, "chainsnap_job_chunks_new" + sel)! > 0)
        #expect(value(first, "chainsnap_job_uploaded_bytes" + sel)! > 0)

        // A failed run keeps its exit code, reports failure with a reason, and keeps the last success.
        let bad = try run(bin, ["snapshot", "create", t.sub("missing"), "--to", store, "--network", "devnet", "--metrics-file", prom])
        #expect(bad.status == 1)
        let second = try String(contentsOfFile: prom, encoding: .utf8)
        try expectClean(second, "a failed run's textfile")
        #expect(value(second, "chainsnap_job_last_success_timestamp_seconds" + sel) == success)
        #expect(value(second, "chainsnap_job_consecutive_failures" + sel) == 1)
        #expect(second.contains("chainsnap_job_result{job=\"snapshot-create\",network=\"devnet\",result=\"failure\",reason="))
        #expect(value(second, "chainsnap_job_runs_total{job=\"snapshot-create\",network=\"devnet\",result=\"success\"}") == 1)

        // An unreachable Pushgateway is a warning: the export still exits 0.
        let port = Servers.freePort()
        let unreachable = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "devnet",
                                        "--pushgateway", "http://127.0.0.1:\(port)"])
        #expect(unreachable.status == 0, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("warning: could not push metrics to http://127.0.0.1:\(port)"))

        // prune, and a restore (progress then result).
        let prune = try run(bin, ["snapshot", "prune", store, "--keep-last", "1", "--metrics-file", t.sub("prune.prom"), "--metrics-network", "devnet"])
        #expect(prune.status == 0, "\(prune.stderr)")
        let pruned = try String(contentsOfFile: t.sub("prune.prom"), encoding: .utf8)
        try expectClean(pruned, "a prune textfile")
        #expect(value(pruned, "chainsnap_job_snapshots_removed{job=\"snapshot-prune\",network=\"devnet\"}") == 1)
        let r = try run(bin, ["snapshot", "restore", "--from", store, t.sub("out"), "--metrics-file", t.sub("restore.prom"),
                              "--progress-file", t.sub("progress.json"), "--progress-interval", "0.01"],
                        environment: ["CHAINSNAP_PROGRESS_FORMAT": "json"])
        #expect(r.status == 0, "\(r.stderr)")
        // With CHAINSNAP_PROGRESS_FORMAT=json the log's progress lines are JSON objects, one per line.
        let jsonLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!jsonLines.isEmpty, "\(r.stderr)")
        for l in jsonLines {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            #expect(o?["task"] is String && o?["done"] is Int && o?["time"] is Int, "\(l)")
        }
        let restored = try String(contentsOfFile: t.sub("restore.prom"), encoding: .utf8)
        try expectClean(restored, "a restore textfile")
        let target = "{target=\"\(t.sub("out"))\"}"
        #expect(value(restored, "chainsnap_restore_running" + target) == 0)
        #expect(value(restored, "chainsnap_restore_success" + target) == 1)
        #expect(value(restored, "chainsnap_restore_done_bytes" + target)! > 0)
        let progress = try String(contentsOfFile: t.sub("progress.json"), encoding: .utf8)
        #expect(progress.hasSuffix("}\n") && progress.split(separator: "\n").count == 1, "one JSON object on one line: \(progress)")
        let obj = try JSONSerialization.jsonObject(with: Data(progress.utf8)) as? [String: Any]
        #expect(obj?["finished"] as? Bool == true)
    }

    /// prepare-data: the restore it runs writes the textfile (progress, then result); when it
    /// leaves the folder alone, it reports that decision itself.
    @Test(.requires("promtool"))
    func prepareDataReportsItsRestoreOrItsDecision() throws {
        let t = TempDir("mon-prepare")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store")
        #expect(try run(bin, ["snapshot", "create", t.sub("src"), "--to", store]).status == 0)
        let data = t.sub("data"), prom = t.sub("restore.prom")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let args = ["node", "prepare-data", "--data-dir", data, "--chain-data", "db", "--from", store, "--metrics-file", prom,
                    "--metrics-label", "pod=luxd-0", "--progress-file", t.sub("progress.json")]
        let first = try run(bin, args)
        #expect(first.status == 0, "\(first.output)")
        let text = try String(contentsOfFile: prom, encoding: .utf8)
        try expectClean(text, "prepare-data's restore textfile")
        let target = "{target=\"\(data)/db\",pod=\"luxd-0\"}"
        #expect(value(text, "chainsnap_restore_success" + target) == 1, "\(text)")
        #expect(value(text, "chainsnap_restore_done_bytes" + target)! > 0, "\(text)")
        #expect(FileManager.default.fileExists(atPath: t.sub("progress.json")))
        // Restored before: the marker says so; the decision (nothing to do) is the report.
        try FileManager.default.removeItem(atPath: prom)
        let again = try run(bin, args)
        #expect(again.status == 0, "\(again.output)")
        let second = try String(contentsOfFile: prom, encoding: .utf8)
        #expect(value(second, "chainsnap_restore_running" + target) == 0)
        #expect(value(second, "chainsnap_restore_success" + target) == 1)
    }

    @Test func exporterConfigFileAndUsageErrors() throws {
        let t = TempDir("mon-config")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 16)
        let store = "file://" + t.sub("store")
        #expect(try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "testnet", "--height", "9"]).status == 0)
        try #"{"stores": ["\#(store)"], "network": "testnet"}"#.write(toFile: t.sub("exporter.json"), atomically: true, encoding: .utf8)
        let exporter = try Servers.startReportingPort("chainsnap exporter", bin,
            ["exporter", "--listen", "127.0.0.1:0", "--config", t.sub("exporter.json"), "--interval", "1"], logPath: t.sub("exporter.log"))
        defer { exporter.process.stop() }
        try Servers.wait(for: "the exporter's first look", timeout: 10) {
            String(decoding: Servers.httpGet(port: exporter.port, path: "/metrics")?.body ?? [], as: UTF8.self)
                .contains("chainsnap_store_newest_snapshot_height{store=\"\(store)\",network=\"testnet\"} 9")
        }
        for (args, fragment) in [(["exporter"], "give at least one --store or --rpc"),
                                 (["exporter", "--store", store, "--listen", "9464"], "is not HOST:PORT"),
                                 (["exporter", "--store", store, "--interval", "0"], "--interval must be at least 1"),
                                 (["snapshot", "prune", store, "--keep-last", "1", "--pushgateway", "gw:9091"], "not an http:// or https:// URL")] {
            let r = try run(bin, args)
            #expect(r.status == 64 && r.stderr.contains(fragment), "\(args): \(r.status) \(r.stderr)")
        }
        try "{not json".write(toFile: t.sub("bad.json"), atomically: true, encoding: .utf8)
        let bad = try run(bin, ["exporter", "--config", t.sub("bad.json")])
        #expect(bad.status == 1 && bad.stderr.contains("is not the exporter's JSON"), "\(bad.stderr)")
    }

    @Test(.requires("prometheus-pushgateway", "promtool"))
    func pushgatewayReceivesSnapshotCreate() throws {
        let gw = try PushgatewayServer()
        let t = TempDir("mon-push")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store")
        let ok = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "mainnet", "--pushgateway", gw.url])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stderr.contains("warning"), "\(ok.stderr)")
        let text = try gw.metrics()
        let sel = "{instance=\"\",job=\"snapshot-create\",network=\"mainnet\"}"
        let success = try #require(value(text, "chainsnap_job_last_success_timestamp_seconds" + sel), "\(text)")
        #expect(value(text, "chainsnap_job_success" + sel) == 1)
        let list = try run(bin, ["snapshot", "list", store, "--json"])
        let rows = try jsonLines(list.stdout)
        #expect(value(text, "chainsnap_job_read_bytes" + sel) == Double(rows[0]["bytes"] as! Int))

        let bad = try run(bin, ["snapshot", "create", t.sub("missing"), "--to", store, "--network", "mainnet", "--pushgateway", gw.url])
        #expect(bad.status == 1)
        let after = try gw.metrics()
        #expect(value(after, "chainsnap_job_success" + sel) == 0)
        #expect(value(after, "chainsnap_job_last_success_timestamp_seconds" + sel) == success, "read back from the gateway and carried")
        #expect(value(after, "chainsnap_job_consecutive_failures" + sel) == 1)
        let ours = after.split(separator: "\n").filter { $0.contains("chainsnap_") }.joined(separator: "\n") + "\n"
        try expectClean(ours, "the pushed families")
    }

    @Test(.requires("prometheus", "promtool"), .requiresTestNode, .requiresSharedFixture("rlp/execution-apis/chain.rlp"))
    func prometheusScrapesTheExporter() throws {
        let t = TempDir("mon-exporter")
        let chain = Paths.sharedFixture("rlp/execution-apis/chain.rlp")!
        let store = "file://" + t.sub("store")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        for h in ["100", "200"] {
            let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "devnet", "--height", h])
            #expect(c.status == 0, "\(c.stderr)")
        }
        let split = try run(bin, ["rlp", "split", chain, "--to", store, "--network", "devnet", "--blocks-per-part", "10"])
        #expect(split.status == 0, "\(split.stderr)")
        let node = try TestNode(["--chain", chain])
        let behind = try TestNode(["--chain", chain, "--height", "7"])
        let top = node.height
        let exporter = try Servers.startReportingPort("chainsnap exporter", bin,
            ["exporter", "--listen", "127.0.0.1:0", "--store", store, "--rpc", node.url, "--rpc", behind.url,
             "--network", "devnet", "--interval", "1", "--scrape-timeout", "5"], logPath: t.sub("exporter.log"))
        defer { exporter.process.stop() }
        let scrape = try #require(Servers.httpGet(port: exporter.port, path: "/metrics"))
        try expectClean(String(decoding: scrape.body, as: UTF8.self), "the exporter's /metrics")

        let prom = try PrometheusServer(job: "chainsnap", targets: ["127.0.0.1:\(exporter.port)"],
                                        ruleFiles: [Paths.packageRoot + "/charts/lux/files/chainsnap-alerts.yaml"])
        #expect(try prom.loadedRules() == 11)
        let list = try run(bin, ["snapshot", "list", store, "--json"])
        let newest = try #require(try jsonLines(list.stdout).last)
        let height = try prom.waitFor("chainsnap_store_newest_snapshot_height")
        #expect(height.first?.value == 200)
        #expect(height.first?.labels["network"] == "devnet")
        #expect(height.first?.labels["store"] == store)
        #expect(try prom.query("chainsnap_store_newest_snapshot_size_bytes").first?.value == Double(newest["bytes"] as! Int))
        #expect(try prom.query("chainsnap_store_snapshots").first?.value == 2)
        #expect(try prom.query("chainsnap_store_up").first?.value == 1)
        let age = try prom.query("chainsnap_store_newest_snapshot_age_seconds").first?.value ?? -1
        #expect(age >= 0 && age < 300)
        #expect(try prom.query("chainsnap_rlp_bundle_last_block{network=\"devnet\"}").first?.value == Double(top))
        let heights = try prom.waitFor("chainsnap_node_height", count: 2)
        #expect(Set(heights.map(\.value)) == [Double(top), 7])
        let lag = try prom.query("chainsnap_node_lag_blocks{node=\"\(behind.url)\"}")
        #expect(lag.first?.value == Double(top - 7))
        #expect(try prom.query("chainsnap_node_up == 1").count == 2)
        // The page's own query: how old the newest good snapshot of the network is.
        let answer = try prom.query("time() - max(chainsnap_store_newest_snapshot_timestamp_seconds{network=\"devnet\"})")
        #expect((answer.first?.value ?? -1) >= 0)

        // A node that goes away becomes node_up 0, not a failed scrape.
        behind.stop()
        _ = try prom.waitFor("chainsnap_node_up{node=\"\(behind.url)\"} == 0", timeout: 30)
        #expect(try prom.query("up{job=\"chainsnap\"}").first?.value == 1)
    }

    @Test(.requires("python3", "promtool"))
    func aStoreThatNeverAnswersIsDownWithinTheTimeout() throws {
        let silent = try SilentServer()
        let t = TempDir("mon-silent")
        try FileManager.default.createDirectory(atPath: t.sub("creds"), withIntermediateDirectories: true)
        try "AKIDEXAMPLE".write(toFile: t.sub("creds/access-key-id"), atomically: true, encoding: .utf8)
        try "not-a-secret".write(toFile: t.sub("creds/secret-access-key"), atomically: true, encoding: .utf8)
        let started = Date()
        let exporter = try Servers.startReportingPort("chainsnap exporter", bin,
            ["exporter", "--listen", "127.0.0.1:0", "--store", "s3://hung/prefix", "--endpoint", "http://127.0.0.1:\(silent.port)",
             "--path-style", "--credentials-dir", t.sub("creds"), "--rpc", "http://127.0.0.1:\(silent.port)", "--interval", "30", "--scrape-timeout", "2"],
            logPath: t.sub("exporter.log"))
        defer { exporter.process.stop() }
        // Timed from when the exporter reported its port, so a loaded machine's slow start-up is
        // not counted against the 2 s scrape timeout.
        let listening = Date()
        var text = ""
        while Date().timeIntervalSince(listening) < 8 {
            let s0 = Date()
            let r = try #require(Servers.httpGet(port: exporter.port, path: "/metrics"))
            #expect(r.status == 200)
            #expect(Date().timeIntervalSince(s0) < 1.5, "a scrape never waits for the store (its timeout is 2 s)")
            text = String(decoding: r.body, as: UTF8.self)
            if text.contains("chainsnap_store_up{store=\"s3://hung/prefix\"} 0") && text.contains("chainsnap_node_up{") { break }
            usleep(200_000)
        }
        #expect(text.contains("chainsnap_store_up{store=\"s3://hung/prefix\"} 0"), "\(text)")
        #expect(text.contains("chainsnap_node_up{node=\"http://127.0.0.1:\(silent.port)\"} 0"), "\(text)")
        #expect(Date().timeIntervalSince(listening) < 5, "down within the 2 s timeout: \(Date().timeIntervalSince(listening)) s after listening, \(Date().timeIntervalSince(started)) s after start")
        try expectClean(text, "the exporter's /metrics with a hung store")
        #expect(Servers.httpGet(port: exporter.port, path: "/healthz")?.status == 200)
    }
}
