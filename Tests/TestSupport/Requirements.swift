import Foundation
import Testing

/// What a test needs from the machine — tools, the package's Python, shared fixtures, root — as
/// Swift Testing traits, so a test that cannot run shows as *skipped* with the reason.
///
/// `CHAINSNAP_REQUIRE_SERVERS=1` (set by `scripts/test.sh` after `scripts/setup.sh` installed
/// everything) turns a missing tool or Python package into a *failure* naming what to install.
/// Shared fixtures (`../shared/fixtures`) and root-only abilities stay skips: CI may lack them.
public enum Requirements {
    /// `CHAINSNAP_REQUIRE_SERVERS=1`: a missing tool fails the test instead of skipping it.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["CHAINSNAP_REQUIRE_SERVERS"] == "1"
    }

    /// True when every tool is installed; false when one is missing (skip); throws when one is
    /// missing and servers are required (the test fails with this message).
    public static func check(tools: [String]) throws -> Bool {
        let missing = tools.filter { Servers.tool($0) == nil }
        if missing.isEmpty { return true }
        if required {
            throw ServerError("\(missing.joined(separator: ", ")) not installed (CHAINSNAP_REQUIRE_SERVERS=1): run scripts/setup.sh")
        }
        return false
    }

    /// The package's Python (`.venv/bin/python3`) when it can import every module, else nil.
    /// Checked once per module list per test process.
    public static func python(importing modules: [String]) -> String? {
        let key = modules.joined(separator: ",")
        return pythonLock.withLock {
            if let known = pythonCache[key] { return known }
            let p = Paths.packageRoot + "/.venv/bin/python3"
            var found: String?
            if FileManager.default.isExecutableFile(atPath: p),
               (try? run(p, ["-c", modules.map { "import " + $0 }.joined(separator: "; ")]))?.status == 0 {
                found = p
            }
            pythonCache[key] = .some(found)
            return found
        }
    }

    /// Like `check(tools:)` for the package's Python and its modules (`packages` names what to install).
    public static func check(python modules: [String], packages: String) throws -> Bool {
        if python(importing: modules) != nil { return true }
        if required {
            throw ServerError("./.venv with \(packages) is missing (CHAINSNAP_REQUIRE_SERVERS=1): run scripts/setup.sh")
        }
        return false
    }

    /// The package's Python with `modules`, or a clear error (for tests already gated by the trait).
    public static func needPython(_ modules: [String], packages: String) throws -> String {
        if let p = python(importing: modules) { return p }
        throw ServerError("./.venv with \(packages) is missing: run scripts/setup.sh")
    }

    private static let pythonLock = NSLock()
    nonisolated(unsafe) private static var pythonCache: [String: String?] = [:]

    /// Whether this process may mount a tmpfs (root, and mounting allowed); probed once.
    public static let canMountTmpfs: Bool = {
        let dir = TempDir("tmpfs-probe")
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path]))?.status == 0 else { return false }
        _ = try? run("/bin/umount", [dir.path])
        return true
    }()

    /// Mounts a tmpfs of `size` (`80m`) at `path`; pair with `unmountTmpfs`.
    public static func mountTmpfs(_ path: String, size: String) throws {
        let r = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=" + size, "tmpfs", path])
        guard r.status == 0 else { throw ServerError("mount -t tmpfs at \(path) failed: \(r.output)") }
    }

    public static func unmountTmpfs(_ path: String) {
        _ = try? run("/bin/umount", [path])
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test where every tool is installed (PATH, `.venv/bin`, sbin); skips it otherwise,
    /// or fails it when `CHAINSNAP_REQUIRE_SERVERS=1`.
    public static func requires(_ tools: String..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        requires(tools: tools, sourceLocation: sourceLocation)
    }

    public static func requires(tools: [String], sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled("needs \(tools.joined(separator: ", "))", sourceLocation: sourceLocation) {
            try Requirements.check(tools: tools)
        }
    }

    /// Runs the test where `.venv/bin/python3` imports `modules`; skips or fails as `requires(_:)`.
    public static func requiresPython(_ modules: [String], packages: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled("needs ./.venv with \(packages)", sourceLocation: sourceLocation) {
            try Requirements.check(python: modules, packages: packages)
        }
    }

    /// Runs the test only where `../shared/fixtures/<path>` exists (always a skip, never a failure).
    public static func requiresSharedFixture(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: Paths.sharedFixture(path) != nil, "../shared/fixtures/\(path) is absent", sourceLocation: sourceLocation)
    }

    /// Runs the test only where a tmpfs can be mounted (root); a skip elsewhere.
    public static var requiresTmpfsMount: Self {
        .enabled(if: Requirements.canMountTmpfs, "cannot mount a tmpfs here (needs root)")
    }
}
