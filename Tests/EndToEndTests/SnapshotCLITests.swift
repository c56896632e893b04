import Foundation
import Testing
import TestSupport

/// Runs the built `chainsnap` binary the way operators' manifests call it.
@Suite struct SnapshotCLITests {
    let bin = Paths.chainsnapBinary

    @Test func createPrintsIdRestoreListVerifyAndExitCodes() throws {
        let t = TempDir("cli")
        try Trees.makeSample(at: t.sub("src"), largeFileSize: 1 << 20)
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--network", "devnet", "--chain-id", "96369",
                              "--height", "1234", "--block-hash", "0xabc", "--node-version", "luxd/1.2.3", "--label", "tier=hot",
                              "--chunk-size", "256KiB"])
        #expect(c.status == 0, "\(c.stderr)")
        let id = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 25 && !id.contains(" "), "stdout holds only the id: '\(c.stdout)'")
        #expect(c.stderr.contains("wrote"))
        #expect(c.stderr.contains("reused 0 chunks"))

        let c2 = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--chunk-size", "256KiB"])
        #expect(c2.status == 0)
        #expect(c2.stderr.contains("wrote 0 new chunks"), "unchanged tree writes nothing new: \(c2.stderr)")

        let l = try run(bin, ["snapshot", "list", store, "--json"])
        #expect(l.status == 0)
        // NDJSON: one snapshot object per line.
        let rows = try l.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rows.count == 2)
        let src = rows[0]["source"] as! [String: Any]
        #expect(src["network"] as? String == "devnet")
        #expect(src["height"] as? Int == 1234)
        #expect((src["labels"] as? [String: String])?["tier"] == "hot")

        let target = t.sub("restore")
        let r = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id, target, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src")))
        let again = try run(bin, ["snapshot", "restore", "--from", store, "--snapshot", id, target])
        #expect(again.status == 0)
        #expect(again.stderr.contains("nothing to do"))

        // A different snapshot into the restored folder: refused with exit code 3.
        let latest = try run(bin, ["snapshot", "restore", "--from", store, target])
        #expect(latest.status == 3, "\(latest.stderr)")
        #expect(latest.stderr.contains("--force"))

        let v = try run(bin, ["snapshot", "verify", store, "--deep", "--json"])
        #expect(v.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as! [String: Any]
        #expect(report["ok"] as? Bool == true)

        let p = try run(bin, ["snapshot", "prune", store, "--keep-last", "1", "--dry-run", "--json"])
        #expect(p.status == 0)
        #expect(p.stderr.contains("would remove snapshot \(id)"))
    }

    @Test func badInputGetsClearErrors() throws {
        let t = TempDir("cli-bad")
        let cases: [([String], String)] = [
            (["snapshot", "create", t.sub("missing"), "--to", "file://" + t.sub("s")], "is not a folder"),
            (["snapshot", "create", t.path, "--to", "file://relative/path"], "absolute path"),
            (["snapshot", "create", t.path, "--to", "ftp://x/y"], "unsupported store URL"),
            (["snapshot", "create", t.path, "--to", "file://" + t.sub("s"), "--chunk-size", "lots"], "cannot read size"),
            (["snapshot", "create", t.path, "--to", "file://" + t.sub("s"), "--compression", "brotli"], "Please provide one of 'zstd' and 'lz4'"),
            (["snapshot", "restore", "--from", "file://" + t.sub("empty-store"), t.sub("out")], "no snapshots"),
            (["snapshot", "restore", "--from", "file://" + t.sub("s"), "--snapshot", "nope", t.sub("out")], "not a snapshot id"),
        ]
        for (args, fragment) in cases {
            let r = try run(bin, args)
            #expect(r.status != 0, "\(args) should fail")
            #expect(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
    }

    /// Flag mistakes, including ones that involve two flags, are usage errors (exit 64) found
    /// before anything runs, and say what to change.
    @Test func flagMistakesAreUsageErrors() throws {
        let t = TempDir("cli-usage")
        let store = "file://" + t.sub("s")
        let cases: [([String], String)] = [
            (["snapshot", "create", t.path, "--to", store, "--compression", "brotli"], "invalid for '--compression <compression>'"),
            (["snapshot", "create", t.path, "--to", store, "--compression", "lz4", "--level", "13"], "out of range for lz4"),
            (["snapshot", "create", t.path, "--to", store, "--level", "0"], "out of range for zstd"),
            (["snapshot", "create", t.path, "--to", store, "--chunk-size", "lots"], "cannot read size"),
            (["snapshot", "restore", "--from", store, "--sha256", "ab", t.sub("o")], "--sha256 applies to archive restores only"),
            (["snapshot", "restore", "--from", "https://h/x.tar.zst", "--snapshot", "s1", t.sub("o")], "--snapshot does not apply"),
            (["snapshot", "restore", "--from", "https://h/x.tar.zst", "--reuse-existing", t.sub("o")], "--reuse-existing needs"),
            (["snapshot", "restore", t.sub("o")], "give --from URL"),
            (["snapshot", "restore", "--from", store, "--from-file", t.sub("u"), t.sub("o")], "not both"),
            (["snapshot", "list", store, "--connections", "0"], "--connections must be between 1 and 256"),
            (["snapshot", "list", store, "--memory-limit", "1MiB"], "at least 16MiB"),
            (["node", "prepare-data", "--data-dir", t.path, "--chain-data", "db", "--from", store, "--connections", "999"], "--connections"),
            (["k8s", "restore-job", "--pvc", "p", "--from", store, "--credentials-dir", "/x"], "--credentials-secret"),
            (["k8s", "restore-job", "--pvc", "p", "--from", store, "--profile", "dev"], "--credentials-secret"),
        ]
        for (args, fragment) in cases {
            let r = try run(bin, args)
            #expect(r.status == 64, "\(args): exit \(r.status)")
            #expect(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
        // The archive rules also hold when the URL comes from --from-file (known only when run).
        try "https://h/x.tar.zst\n".write(toFile: t.sub("url"), atomically: false, encoding: .utf8)
        let viaFile = try run(bin, ["snapshot", "restore", "--from-file", t.sub("url"), "--snapshot", "s1", t.sub("o")])
        #expect(viaFile.status == 64 && viaFile.stderr.contains("--snapshot does not apply"), "\(viaFile.output)")
    }

    /// SIGKILL in the middle of a restore, then the same command again: it completes, the tree
    /// is identical, and chunks the first run finished are not fetched again.
    @Test func killedRestoreResumesWithoutRefetching() throws {
        let t = TempDir("kill")
        try FileManager.default.createDirectory(atPath: t.sub("src"), withIntermediateDirectories: true)
        for i in 0..<12 {
            try Data(Trees.compressibleBytes(4 << 20, seed: UInt64(i))).write(to: URL(fileURLWithPath: t.sub("src") + "/data-\(i).sst"))
        }
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--chunk-size", "64KiB"])
        #expect(c.status == 0, "\(c.stderr)")
        let target = t.sub("node")
        let journal = target + "/.chainsnap-staging/journal"

        // Kill it once it has finished some, but not all, of its 768 chunks.
        let lines = try killWhenJournalReaches(bin, ["snapshot", "restore", "--from", store, target, "--connections", "2"],
                                               journal: journal, lines: 40, timeout: 60)
        try #require(lines >= 40 && lines < 768, "restore finished too fast to interrupt (\(lines) chunks)")
        #expect(!FileManager.default.fileExists(atPath: target + "/data-0.sst"), "nothing is moved into place before verification")

        // Simulate a power loss on top: the journal predates the boot, and bytes of a finished
        // chunk never reached the disk. The resumed restore must notice and fetch it again.
        var old = [timespec(tv_sec: 946_684_800, tv_nsec: 0), timespec(tv_sec: 946_684_800, tv_nsec: 0)]
        let firstDone = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")[0]
        let id = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let manifestJSON = try run("zstd", ["-dcq", t.sub("store") + "/snapshots/\(id).json.zst"])
        let manifest = try JSONSerialization.jsonObject(with: Data(manifestJSON.stdout.utf8)) as! [String: Any]
        var clobbered = false
        for entry in manifest["entries"] as! [[String: Any]] where !clobbered {
            var offset = 0
            for x in entry["extents"] as? [[String: Any]] ?? [] {
                let length = x["l"] as! Int
                if x["c"] as? String == String(firstDone) {
                    let fh = try FileHandle(forUpdating: URL(fileURLWithPath: target + "/.chainsnap-staging/tree/" + (entry["path"] as! String)))
                    try fh.seek(toOffset: UInt64(offset))
                    fh.write(Data(count: length))
                    try fh.close()
                    clobbered = true
                    break
                }
                offset += length
            }
        }
        #expect(clobbered, "found a finished chunk to damage")
        #expect(utimensat(AT_FDCWD, journal, &old, 0) == 0)

        let r = try run(bin, ["snapshot", "restore", "--from", store, target, "--json"])
        #expect(r.stderr.contains("re-checking"), "\(r.stderr)")
        #expect(r.status == 0, "\(r.stderr)")
        let s = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let resumed = s["resumedChunks"] as! Int
        let fetched = s["fetchedChunks"] as! Int
        #expect(s["resumed"] as? Bool == true)
        #expect(resumed >= 39 && resumed < lines, "the damaged chunk is not trusted (\(resumed) of \(lines))")
        #expect(resumed + fetched == 768, "every other finished chunk is kept (\(resumed) + \(fetched))")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src")))
    }
}
