import Foundation
import Testing
import TestSupport

/// Restores of many small files (issue 13): bounded memory, and a journal that resumes at size.
@Suite struct ScaleCLITests {
    let bin = Paths.chainsnapBinary
    static let files = 20_000

    /// A tree of `files` small files (512 B - 3.5 KiB, 1,000 per folder) and its snapshot in
    /// 64 KiB chunks (about a thousand packs); returns the store URL and the number of chunks.
    func makeSnapshot(_ t: TempDir) throws -> (store: String, chunks: Int) {
        var rng = XorShift64(seed: 13)
        for i in 0..<Self.files {
            let dir = t.sub("src") + "/d\(i / 1000)"
            if i % 1000 == 0 { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let n = 512 + Int(rng.next() % 3072)
            let half = rng.bytes(n / 2) + [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: n - n / 2)
            try Data(half).write(to: URL(fileURLWithPath: dir + "/f\(i)"))
        }
        let store = "file://" + t.sub("store")
        let c = try run(bin, ["snapshot", "create", t.sub("src"), "--to", store, "--chunk-size", "64KiB"])
        try #require(c.status == 0, "\(c.stderr)")
        let id = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let json = try run("zstd", ["-dcq", t.sub("store") + "/snapshots/\(id).json.zst"])
        let manifest = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        return (store, (manifest["chunks"] as! [Any]).count)
    }

    /// Runs `bin args` under an address-space limit (`prlimit --as`) and GNU time; returns the
    /// result and the child's peak RSS in MiB.
    func runLimited(_ args: [String], addressSpaceMiB: Int, in t: TempDir) throws -> (RunResult, Double) {
        let timeFile = t.sub("time-\(UUID().uuidString)")
        let r = try run("/usr/bin/time", ["-f", "%M", "-o", timeFile, "prlimit", "--as=\(addressSpaceMiB << 20)", "--", bin] + args)
        let kib = Double((try String(contentsOfFile: timeFile, encoding: .utf8)).split(separator: "\n").last ?? "") ?? .infinity
        return (r, kib / 1024)
    }

    /// The bound the manifest reader made possible. This restore, measured with the debug build
    /// on the shared 2-core machine (`/usr/bin/time -f %M`, 20,000 files, 246 chunks of 64 KiB):
    /// 71 MiB before (main at 745f8bf, Foundation's JSONDecoder) and 47 MiB after (ManifestReader,
    /// issue 13). Over 60 MiB means the manifest is held as a JSON tree again.
    static let peakRSSMiB = 60.0

    @Test("20,000 small files restore identically with peak RSS under 60 MiB inside a 512 MiB address space; a killed restore at that size resumes without refetching",
          .requires("zstd", "prlimit", "time"))
    func manySmallFiles() throws {
        let t = TempDir("scale")
        let (store, chunks) = try makeSnapshot(t)
        #expect(chunks > 300, "enough chunks to interrupt (\(chunks))")

        // Bounded memory: the whole restore under a low address-space limit, peak RSS measured.
        let (r, rss) = try runLimited(["snapshot", "restore", "--from", store, t.sub("fresh"), "--json"], addressSpaceMiB: 512, in: t)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(rss < Self.peakRSSMiB, "peak RSS \(rss) MiB for \(Self.files) files")
        #expect(try Trees.describe(t.sub("fresh")) == Trees.describe(t.sub("src")))

        // Kill -9 midway, then resume: identical tree, the finished chunks are not fetched again.
        let target = t.sub("node")
        let journal = target + "/.chainsnap-staging/journal"
        let lines = try killWhenJournalReaches(bin, ["snapshot", "restore", "--from", store, target, "--connections", "2"],
                                               journal: journal, lines: chunks / 4, timeout: 120)
        try #require(lines >= chunks / 4 && lines < chunks, "restore finished too fast to interrupt (\(lines) of \(chunks) chunks)")
        #expect(!FileManager.default.fileExists(atPath: target + "/d0"), "nothing is moved into place before it is durable")
        let journalBytes = (try FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0
        #expect(journalBytes == lines * 65, "the journal is one 65-byte line per finished chunk, never rewritten (\(journalBytes) bytes)")

        let (resume, resumeRSS) = try runLimited(["snapshot", "restore", "--from", store, target, "--json"], addressSpaceMiB: 512, in: t)
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(resumeRSS < Self.peakRSSMiB, "peak RSS \(resumeRSS) MiB resuming \(Self.files) files")
        let s = try JSONSerialization.jsonObject(with: Data(resume.stdout.utf8)) as! [String: Any]
        let resumed = s["resumedChunks"] as! Int
        let fetched = s["fetchedChunks"] as! Int
        #expect(s["resumed"] as? Bool == true)
        #expect(resumed >= lines, "every chunk the journal names is kept (\(resumed) of \(lines))")
        #expect(resumed + fetched == chunks, "only the rest is fetched (\(resumed) + \(fetched) of \(chunks))")
        #expect(try Trees.describe(target) == Trees.describe(t.sub("src")))
    }

    /// `snapshot verify --deep`, `snapshot prune` and `snapshot list` read every entry but hold none:
    /// their peak RSS on a snapshot of 100,000 empty files is within 10 MiB of theirs on a snapshot
    /// of 10. (`list` held every entry of each manifest until stop 21; release builds on
    /// `benchmarks/gen_small.py` trees: 44 → 35 MiB at 100,000 files, 147 → 57 MiB at 1,000,000, and
    /// 39 MiB once a large manifest is read through a temporary file, as all four are now.) Measured
    /// with release builds on these trees (`/usr/bin/time -f %M`): verify --deep 30 → 50 MiB before
    /// (main at d135ec2, every entry held), 30 → 35 MiB after (the rest is the compressed manifest
    /// and allocator slack from the entries passing through).
    @Test("verify --deep, prune and list of 100,000 entries take at most 10 MiB more than of 10", .requires("prlimit", "time"))
    func verifyAndPruneHoldNoEntries() throws {
        let t = TempDir("scale-flat")
        func snapshot(files: Int, _ name: String) throws -> String {
            for i in 0..<files {
                let dir = t.sub(name) + "/d\(i / 1000)"
                if i % 1000 == 0 { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                #expect(FileManager.default.createFile(atPath: dir + "/file-\(i).ldb", contents: nil))
            }
            let store = "file://" + t.sub("store-" + name)
            for _ in 0..<2 {  // two snapshots, so prune has one to remove
                let c = try run(bin, ["snapshot", "create", t.sub(name), "--to", store])
                try #require(c.status == 0, "\(c.stderr)")
            }
            return store
        }
        let small = try snapshot(files: 10, "small"), large = try snapshot(files: 100_000, "large")
        var peak: [String: Double] = [:]
        for (name, store) in [("small", small), ("large", large)] {
            let (l, lRSS) = try runLimited(["snapshot", "list", store], addressSpaceMiB: 1024, in: t)
            #expect(l.status == 0 && l.stdout.split(separator: "\n").count == 3, "\(l.output)")
            peak["list " + name] = lRSS
            let (v, vRSS) = try runLimited(["snapshot", "verify", store, "--deep"], addressSpaceMiB: 1024, in: t)
            #expect(v.status == 0, "\(v.stderr)")
            let (p, pRSS) = try runLimited(["snapshot", "prune", store, "--keep-last", "1"], addressSpaceMiB: 1024, in: t)
            #expect(p.status == 0, "\(p.stderr)")
            peak["verify " + name] = vRSS
            peak["prune " + name] = pRSS
        }
        #expect(peak["verify large"]! - peak["verify small"]! < 10, "\(peak)")
        #expect(peak["prune large"]! - peak["prune small"]! < 10, "\(peak)")
        #expect(peak["list large"]! - peak["list small"]! < 10, "\(peak)")
        print("peak RSS (MiB) of 10 and 100,000 entries: \(peak.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value))" }.joined(separator: ", "))")
    }
}
