import Archives
import Foundation
import LocalFS
import RestoreCore
import SnapshotCore
import Snapshots
import Stores
import Testing
import TestSupport

/// Issue #15: every archive GNU tar extracts is restored identically, or refused (or partly
/// skipped) for a documented reason — never silently different.
///
/// Each case builds an archive (GNU tar in every `--format`, Python's tarfile in each of its
/// formats, or hand-built headers for old-tar quirks and hostile entries: `Tests/tarcases/tar_cases.py`),
/// compresses it with every codec chainsnap reads, restores it with chainsnap and with GNU tar,
/// and compares the two trees: names (as bytes), types, sizes, SHA-256, symlink targets, modes,
/// mtimes (ns) and hard-link groups. A new case is one line in `cases`.
@Suite("Archive compatibility with GNU tar")
struct ArchiveCompatibilityTests {
    /// How an archive is made.
    enum Build: Sendable {
        /// GNU tar `--format=FORMAT` (plus flags) of a `tar_cases.py tree KIND` folder.
        case gnuTar(_ format: String, _ tree: String, flags: [String] = [])
        /// Python's tarfile in FORMAT (ustar, gnu, pax) of a KIND tree.
        case python(_ format: String, _ tree: String)
        /// A hand-built archive (`tar_cases.py crafted NAME`).
        case crafted(_ name: String)
    }

    /// What chainsnap must do with it.
    enum Expect: Sendable {
        /// The same tree as GNU tar's.
        case identical
        /// The same tree as GNU tar's without these entries (devices, FIFOs), each named in a "skipping" message.
        case skipped([String])
        /// GNU tar's tree with setuid/setgid cleared (the documented rule: never applied).
        case setIDBitsCleared
        /// Refused with a message containing this text, leaving the target empty.
        case refused(String)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var build: Build
        var expect: Expect
        /// `--max-tar-header` for this case.
        var maxTarHeader: Int64? = nil
        var testDescription: String { name }
        init(_ name: String, _ build: Build, _ expect: Expect, maxTarHeader: Int64? = nil) {
            self.name = name
            self.build = build
            self.expect = expect
            self.maxTarHeader = maxTarHeader
        }
    }

    /// One line per case.
    static let cases: [Case] = [
        Case("gnu tar v7", .gnuTar("v7", "v7"), .identical),
        Case("gnu tar ustar", .gnuTar("ustar", "basic"), .identical),
        Case("gnu tar ustar, 255-byte names (prefix field)", .gnuTar("ustar", "ustar-long"), .identical),
        Case("gnu tar gnu", .gnuTar("gnu", "basic"), .identical),
        Case("gnu tar gnu, long names and links (L/K)", .gnuTar("gnu", "long"), .identical),
        Case("gnu tar posix (pax), ns mtimes", .gnuTar("posix", "basic"), .identical),
        Case("gnu tar posix, long names and links", .gnuTar("posix", "long"), .identical),
        Case("gnu tar gnu, names not UTF-8", .gnuTar("gnu", "nonutf8"), .identical),
        Case("gnu tar ustar, names not UTF-8", .gnuTar("ustar", "nonutf8"), .identical),
        Case("gnu tar posix, names not UTF-8", .gnuTar("posix", "nonutf8"), .identical),
        Case("gnu tar gnu, FIFO", .gnuTar("gnu", "fifo"), .skipped(["a-fifo"])),
        Case("gnu tar gnu, setuid/setgid/sticky", .gnuTar("gnu", "setid"), .setIDBitsCleared),
        Case("gnu tar gnu --sparse", .gnuTar("gnu", "sparse", flags: ["--sparse"]), .refused("sparse file")),
        Case("gnu tar posix --sparse", .gnuTar("posix", "sparse", flags: ["--sparse"]), .refused("sparse file")),
        Case("python ustar", .python("ustar", "basic"), .identical),
        Case("python gnu", .python("gnu", "basic"), .identical),
        Case("python pax", .python("pax", "basic"), .identical),
        Case("python gnu, long names and links", .python("gnu", "long"), .identical),
        Case("python pax, long names and links", .python("pax", "long"), .identical),
        Case("python gnu, names not UTF-8", .python("gnu", "nonutf8"), .identical),
        Case("python ustar, names not UTF-8", .python("ustar", "nonutf8"), .identical),
        Case("python pax, names not UTF-8 (hdrcharset=BINARY)", .python("pax", "nonutf8"), .identical),
        Case("V7 folder entry with a size field", .crafted("v7-dir-with-size"), .identical),
        Case("folder entry with a size field", .crafted("dir-with-size"), .identical),
        Case("hard link with a size field", .crafted("hardlink-with-size"), .identical),
        Case("V7 hard link with a size field", .crafted("v7-hardlink-with-size"), .identical),
        Case("symlink and FIFO with size fields", .crafted("symlink-fifo-with-size"), .skipped(["p"])),
        Case("size field of NULs then digits", .crafted("nul-then-digits-size"), .identical),
        Case("blank-padded numeric fields", .crafted("blank-padded-numbers"), .identical),
        Case("base-256 size field", .crafted("base256-size"), .identical),
        Case("no end-of-archive marker (gnu)", .crafted("no-end-marker-gnu"), .identical),
        Case("no end-of-archive marker (pax)", .crafted("no-end-marker-pax"), .identical),
        Case("Solaris ACL entry", .crafted("solaris-acl"), .identical),
        Case("hard link to a symlink inside the tree", .crafted("hardlink-to-symlink"), .identical),
        Case("8 MiB pax record", .crafted("pax-8mb-record"), .refused("over the limit of 1.0 MiB")),
        Case("8 MiB pax record, --max-tar-header 16MiB", .crafted("pax-8mb-record"), .identical, maxTarHeader: 16 << 20),
        Case("path with '..'", .crafted("dotdot-path"), .refused("'..' escapes the target")),
        Case("absolute symlink", .crafted("absolute-symlink"), .refused("absolute target")),
    ]

    /// Every codec chainsnap reads: (file suffix, compress command, GNU tar's flags to read it).
    enum Codec: String, CaseIterable, Sendable {
        case tar, zstd, lz4, lz4Legacy = "lz4-legacy", gzip

        var suffix: String {
            switch self {
            case .tar: return ".tar"
            case .zstd: return ".tar.zst"
            case .lz4, .lz4Legacy: return ".tar.lz4"
            case .gzip: return ".tar.gz"
            }
        }
        var compress: String? {
            switch self {
            case .tar: return nil
            case .zstd: return "zstd -q -f -o"
            case .lz4: return "lz4 -q -f -z"
            case .lz4Legacy: return "lz4 -q -f -l"
            case .gzip: return nil
            }
        }
        var tarFlags: [String] {
            switch self {
            case .tar: return []
            case .zstd: return ["-I", "zstd"]
            case .lz4, .lz4Legacy: return ["-I", "lz4"]
            case .gzip: return ["-z"]
            }
        }
    }

    static let script = Paths.packageRoot + "/Tests/tarcases/tar_cases.py"
    /// The project's venv Python when set up (a pyenv shim costs a second per start), else python3 on PATH.
    static let python: String = {
        let venv = Paths.packageRoot + "/.venv/bin/python3"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    static func sh(_ command: String) throws -> RunResult {
        try run("/bin/sh", ["-c", command])
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Plain tars already built, by case name (each is compressed with every codec).
    static let built = BuildCache()

    /// The case's plain tar, built once (in a folder that lives as long as the test process).
    static func buildTar(_ c: Case) throws -> String {
        try built.get(c.name) { dir in try buildTar(c, in: dir) }
    }

    /// Builds the case's plain tar in `dir`.
    static func buildTar(_ c: Case, in dir: String) throws -> String {
        let tar = dir + "/archive.tar"
        switch c.build {
        case .gnuTar(let format, let tree, let flags):
            let src = dir + "/src"
            try expectOK(sh("\(quote(python)) \(quote(script)) tree \(tree) \(quote(src))"), "tree \(tree)")
            let flagText = flags.map(quote).joined(separator: " ")
            try expectOK(sh("cd \(quote(src)) && LC_ALL=C tar --format=\(format) \(flagText) --sort=name -cf \(quote(tar)) ."), "gnu tar \(format)")
        case .python(let format, let tree):
            try expectOK(sh("\(quote(python)) \(quote(script)) python \(format) \(tree) \(quote(tar))"), "python \(format)")
        case .crafted(let name):
            try expectOK(sh("\(quote(python)) \(quote(script)) crafted \(name) \(quote(tar))"), "crafted \(name)")
        }
        return tar
    }

    static func expectOK(_ r: RunResult, _ what: String) throws {
        guard r.status == 0 else { throw ArchiveFixtures.TestFailure("\(what) failed (\(r.status)): \(r.output)") }
    }

    static func compressed(_ tar: String, _ codec: Codec) throws -> String {
        let out = tar.dropLast(4) + codec.suffix
        switch codec {
        case .tar: return tar
        case .gzip: try expectOK(sh("gzip -n -c \(quote(tar)) > \(quote(String(out)))"), "gzip")
        case .zstd: try expectOK(sh("\(codec.compress!) \(quote(String(out))) \(quote(tar))"), "zstd")
        case .lz4, .lz4Legacy: try expectOK(sh("\(codec.compress!) \(quote(tar)) \(quote(String(out)))"), "lz4")
        }
        return String(out)
    }

    static func digest(_ dir: String, skip: [String] = []) throws -> [String] {
        let r = try run(python, [script, "digest", dir] + skip)
        try expectOK(r, "digest")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// Results of every (case, codec) run, printed as the compatibility table at the end.
    static let table = TableRows()

    @Test("restored like GNU tar restores it, or refused/skipped as documented",
          .requires("tar", "zstd", "lz4", "gzip", "python3"), arguments: cases, Codec.allCases)
    func compatibility(_ c: Case, _ codec: Codec) async throws {
        let tmp = ScratchDir("compat")
        let tar = tmp.sub("archive.tar")
        try FileManager.default.copyItem(atPath: try Self.buildTar(c), toPath: tar)
        let archive = try Self.compressed(tar, codec)

        // GNU tar, as root would run it for a node (permissions kept), owners left alone.
        let gnuDir = tmp.sub("gnu")
        try FS.makeDirectories(gnuDir)
        let gnu = try run("tar", ["-x", "-p", "--no-same-owner", "-f", archive, "-C", gnuDir] + codec.tarFlags)

        let target = tmp.sub("chainsnap")
        let messages = Guarded<[String]>([])
        var o = ArchiveRestore.Options(rangeSize: 64 << 10, connections: 4, memoryLimit: 128 << 20, preserveOwnership: false,
                                       log: { m in messages.withLock { $0.append(m) } })
        if let m = c.maxTarHeader { o.maxTarHeaderBytes = m }
        let outcome: Result<ArchiveRestore.Summary, any Error>
        do { outcome = .success(try await ArchiveRestore.run(from: "file://" + archive, to: target, options: o)) } catch { outcome = .failure(error) }

        let row = "\(c.name) | \(codec.rawValue)"
        switch (c.expect, outcome) {
        case (.refused(let why), .failure(let e)):
            let text = String(describing: e)
            #expect(text.contains(why), "\(row): refused, but not for the documented reason: \(text)")
            let left = (try? FS.listDirectoryBytes(Array(target.utf8)).filter { $0 != Array(".chainsnap-staging".utf8) }) ?? []
            #expect(left.isEmpty, "\(row): a refused restore left entries in the target")
            Self.table.add("\(row) | refused: \(why) | GNU tar exit \(gnu.status)")
        case (.refused(let why), .success):
            Issue.record("\(row): restored, but should be refused (\(why))")
        case (_, .failure(let e)):
            Issue.record("\(row): chainsnap refused it: \(e) (GNU tar exit \(gnu.status): \(gnu.stderr))")
            Self.table.add("\(row) | FAILED: \(e)")
        case (let expect, .success(let summary)):
            #expect(gnu.status == 0, "\(row): GNU tar failed: \(gnu.stderr)")
            var skip: [String] = []
            var wantSetIDCleared = false
            if case .skipped(let names) = expect { skip = names }
            if case .setIDBitsCleared = expect { wantSetIDCleared = true }
            var want = try Self.digest(gnuDir, skip: skip)
            if wantSetIDCleared { want = want.map(Self.clearSetID) }
            let got = try Self.digest(target, skip: [".chainsnap-restore.json"])
            #expect(got == want, "\(row): trees differ\n  only GNU tar: \(want.filter { !got.contains($0) })\n  only chainsnap: \(got.filter { !want.contains($0) })")
            for name in skip {
                #expect(messages.withLock { $0 }.contains { $0.contains("skipping '\(name)'") }, "\(row): no message for skipped '\(name)'")
            }
            #expect(summary.stats.skipped == skip.count + (c.name.contains("ACL") ? 1 : 0))
            let note = skip.isEmpty ? (wantSetIDCleared ? "identical but setuid/setgid cleared (\(summary.stats.setIDBitsDropped) entries)" : "identical")
                : "identical, skipped \(skip.joined(separator: ", "))"
            Self.table.add("\(row) | \(note)\(summary.stats.missingEndMarker ? " (warned: no end marker)" : "")")
        }
    }

    /// A digest line with the setuid/setgid bits of its mode cleared.
    static func clearSetID(_ line: String) -> String {
        guard let r = line.range(of: " mode=") else { return line }
        let modeText = line[r.upperBound...].prefix(4)
        guard let mode = Int(modeText, radix: 8) else { return line }
        let cleared = String(format: "%04o", mode & 0o1777)
        return line.replacingCharacters(in: r.upperBound..<line.index(r.upperBound, offsetBy: 4), with: cleared)
    }
}

/// Where the shared built archives live: removed when the test process exits (a static owner never deinits).
private let compatBuiltRoot = (FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    + "/chainsnap-compat-built-\(getpid())"

/// Built archives shared by the codecs of a case (built under one lock: builds are short).
final class BuildCache: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String: String] = [:]
    private let root: String
    private var next = 0

    init() {
        root = compatBuiltRoot
        try? FS.makeDirectories(root)
        atexit { try? FS.removeTree(compatBuiltRoot) }
    }

    func get(_ key: String, build: (String) throws -> String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = paths[key] { return p }
        next += 1
        let dir = root + "/\(next)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = try build(dir)
        paths[key] = p
        return p
    }
}

/// A temporary folder in memory (/dev/shm) when there is one: each restore ends with a `syncfs`
/// of the target's filesystem, which costs seconds per restore on a disk other jobs write to,
/// and durability is not what these 190 restores test. Removed when released.
final class ScratchDir: @unchecked Sendable {
    let path: String
    private let fallback: TempDir?

    init(_ label: String) {
        if FileManager.default.isWritableFile(atPath: "/dev/shm") {
            path = "/dev/shm/chainsnap-\(label)-\(UUID().uuidString.prefix(8))"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            fallback = nil
        } else {
            let t = TempDir(label)
            path = t.path
            fallback = t
        }
    }

    deinit { if fallback == nil { try? FS.removeTree(path) } }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// Rows of the compatibility table; printed (sorted) when CHAINSNAP_COMPAT_TABLE names a file.
final class TableRows: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [String] = []
    func add(_ row: String) {
        lock.lock()
        rows.append(row)
        let all = rows.sorted()
        lock.unlock()
        if let path = ProcessInfo.processInfo.environment["CHAINSNAP_COMPAT_TABLE"] {
            try? (all.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

/// A value guarded by a lock (test side).
final class Guarded<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
