import Foundation
import Testing
import TestSupport

/// A restore's log has two durations: the progress reporter's last line (`…, took Ns`, the
/// transfer) and the summary (`restored snapshot … in Ms`, the whole restore). Captured through a
/// pipe (non-TTY, as in a pod) they must agree: the summary's span holds the transfer's, so it is
/// never shorter, and the two differ by no more than the finishing work (verify, move into place,
/// one syncfs) — the bug was a summary "in 0s" under a progress line "took 3s".
@Suite("summary durations agree")
struct SummaryDurationsTests {
    /// Seconds in `formatDuration`'s shapes: `12s`, `3m04s`, `1h02m03s`.
    static func seconds(_ s: Substring) -> Int? {
        var total = 0, num = 0, any = false
        for c in s {
            if let d = c.wholeNumberValue { num = num * 10 + d; any = true; continue }
            switch c {
            case "h": total += num * 3600
            case "m": total += num * 60
            case "s": total += num
            default: return nil
            }
            num = 0
        }
        return any ? total : nil
    }

    static func match(_ pattern: String, in text: String) -> [Substring] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            Range(m.range(at: 1), in: text).map { text[$0] }
        }
    }

    @Test("snapshot restore: the progress line's 'took' and the summary's 'in' agree, in text and in JSON")
    func restoreDurations() async throws {
        let t = TempDir("durations")
        let bin = Paths.chainsnapBinary
        try FileManager.default.createDirectory(atPath: t.sub("src"), withIntermediateDirectories: true)
        for i in 0..<6 {  // incompressible, so the restore moves real bytes (~48 MiB)
            try Data(randomBytes(8 << 20, seed: UInt64(i + 7))).write(to: URL(fileURLWithPath: t.sub("src/\(i).ldb")))
        }
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "devnet", "--json"])
        try #require(c.status == 0, "\(c.output)")
        let id = try #require(try jsonLines(c.stdout).last?["id"] as? String)

        // Text: through nginx's limit_rate (2 connections of 8 MiB/s: a transfer of about 3 s, so a
        // summary that missed it would show), progress lines every 0.2 s into the pipe.
        let work = t.sub("nginx")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let server = try await offloaded { try NginxServer(root: t.sub("store"), workDir: work, limitRate: "8m") }
        defer { server.stop() }
        let r = try await offloaded {
            try run(bin, ["snapshot", "restore", "--from", server.limitedURL, "--snapshot", id, "--connections", "2", t.sub("a")],
                    environment: ["CHAINSNAP_PROGRESS_INTERVAL": "0.2"])
        }
        #expect(r.status == 0, "\(r.output)")
        let took = try #require(Self.match(#"\(100%\), [^,]+, took ([0-9hms]+)"#, in: r.stderr).last.flatMap(Self.seconds), "no final progress line: \(r.stderr)")
        let total = try #require(Self.match(#"restored snapshot \S+ into .* in ([0-9hms]+)\s*$"#, in: r.stderr.split(separator: "\n").last.map(String.init) ?? "")
                                   .last.flatMap(Self.seconds), "no summary line: \(r.stderr)")
        #expect(took >= 2, "the limited transfer should take seconds: \(r.stderr)")
        // Both are rounded to whole seconds: one second apart at most from rounding, never the wrong
        // way round. The summary also holds the finishing work, whose syncfs also flushes what the
        // run's earlier tests left dirty: up to 5 s.
        #expect(total >= took - 1 && total - took <= 5, "progress says took \(took)s, the summary says in \(total)s:\n\(r.stderr)")
        for line in r.stderr.split(separator: "\n") {
            #expect(line.first?.isNumber == true && line.contains("Z "), "not an RFC 3339 timestamped line: \(line)")
        }

        // JSON: the progress object's elapsedSeconds and the summary's seconds.
        let j = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id, t.sub("b"), "--json"],
                        environment: ["CHAINSNAP_PROGRESS_INTERVAL": "0.2", "CHAINSNAP_PROGRESS_FORMAT": "json"])
        #expect(j.status == 0, "\(j.output)")
        let progress = j.stderr.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let last = try #require(progress.last { $0["finished"] as? Bool == true }, "no finished progress object: \(j.stderr)")
        // elapsedSeconds is whole seconds, truncated (ProgressState.jsonLine).
        let elapsed = try #require((last["elapsedSeconds"] as? NSNumber)?.doubleValue)
        let summary = try #require(try jsonLines(j.stdout).last)
        let seconds = try #require((summary["seconds"] as? NSNumber)?.doubleValue)
        #expect(seconds + 0.01 >= elapsed, "the restore (\(seconds) s) cannot be shorter than its transfer (\(elapsed) s)")
        #expect(seconds - elapsed < max(5.0, elapsed), "the summary's \(seconds) s and the transfer's \(elapsed) s disagree")
        #expect((summary["treeBytes"] as? NSNumber)?.int64Value == 48 << 20)
    }
}

/// `fleet roll`'s closing line has four kinds of durations: the total, the time waiting on the
/// replacements' gates (the sum of the per-gate times it lists) and the pre-deletion checks. They
/// must add up: the parts never exceed the whole, and the gate total is the sum of its gates.
@Suite("fleet roll summary durations agree", .enabled(if: KubeStandin.available))
struct RollSummaryDurationsTests {
    @Test("rolled N pods in T s: W s waiting (gates summing to W), P s checking; W + P <= T")
    func rollDurations() async throws {
        let k = try await offloaded { try KubeStandin(["--replicas", "4"]) }
        let r = try await offloaded {
            try run(Paths.chainsnapBinary, ["fleet", "roll", "--kubeconfig", k.tokenKubeconfig(), "--interval", "0.3", "--pod-timeout", "60"])
        }
        #expect(r.status == 0, "\(r.output.suffix(3000))")
        let line = try #require(r.stderr.split(separator: "\n").last { $0.contains("rolled 4 pods of lux-test/luxd in ") }.map(String.init),
                                "no summary line: \(r.stderr.suffix(2000))")
        func number(after marker: String, in s: String) -> Double? {
            guard let range = s.range(of: marker) else { return nil }
            return Double(s[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        let total = try #require(number(after: "luxd in ", in: line), "\(line)")
        let waited = try #require(number(after: "s: ", in: line), "\(line)")
        let pre = try #require(number(after: "), ", in: line), "\(line)")
        let gatesText = try #require(line.range(of: "gates (").map { String(line[$0.upperBound...].prefix { $0 != ")" }) }, "\(line)")
        let gates = gatesText.split(separator: ",").compactMap { Double($0.split(separator: " ").dropLast().last ?? "") }
        #expect(gates.count >= 3, "per-gate times listed: \(gatesText)")
        // Each figure is rounded to 0.1 s.
        #expect(abs(gates.reduce(0, +) - waited) <= 0.05 * Double(gates.count + 1), "the gates (\(gates)) do not sum to \(waited) s: \(line)")
        #expect(waited + pre <= total + 0.1, "waiting \(waited) s + checking \(pre) s exceed the total \(total) s: \(line)")
        #expect(total > 0 && waited > 0, "\(line)")
    }
}
