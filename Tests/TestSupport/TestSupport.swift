import Foundation

/// A temporary folder removed when the value is released.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "t") {
        let base = ProcessInfo.processInfo.environment["CHAINSNAP_TEST_TMP"] ?? NSTemporaryDirectory()
        path = (base as NSString).appendingPathComponent("chainsnap-\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

/// The result of running a child process.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var output: String { stdout + stderr }
}

/// Runs a program to completion, capturing stdout and stderr (see `ChildProcess` for why not
/// Foundation's `Process`). A child still running after `timeout` seconds is killed and the run
/// returns what it printed, with a line saying so: a hung child fails its test, never the suite.
@discardableResult
public func run(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                cwd: String? = nil, stdin: String? = nil, timeout: Double = 600) throws -> RunResult {
    let input = try ChildProcess.pipe()
    let output: (read: Int32, write: Int32), errors: (read: Int32, write: Int32)
    do { output = try ChildProcess.pipe() } catch { close(input.read); close(input.write); throw error }
    do { errors = try ChildProcess.pipe() } catch { for fd in [input.read, input.write, output.read, output.write] { close(fd) }; throw error }
    let child: ChildProcess
    do {
        child = try ChildProcess(executable, args, environment: environment, cwd: cwd,
                                 stdin: input.read, stdout: output.write, stderr: errors.write)
    } catch {
        for fd in [input.read, input.write, output.read, output.write, errors.read, errors.write] { close(fd) }
        throw error
    }
    for fd in [input.read, output.write, errors.write] { close(fd) }
    // Both pipes are read at once so a chatty child cannot block on a full pipe.
    let out = PipeDrain(output.read), err = PipeDrain(errors.read)
    if let stdin {
        let bytes = Array(stdin.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(input.write, $0.baseAddress, $0.count) }
            if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
    }
    close(input.write)
    var notes: [String] = []
    if !child.waitOrKill(within: timeout) {
        notes.append("[test harness] \(executable) was killed after \(Int(timeout)) s")
    }
    let grace = Date().addingTimeInterval(5)
    let (o, oDone) = out.finish(by: grace)
    let (e, eDone) = err.finish(by: grace)
    if !oDone || !eDone { notes.append("[test harness] \(executable) exited but its output pipe stayed open (a child it left running holds it)") }
    let stderrText = String(decoding: e, as: UTF8.self) + notes.map { "\n" + $0 + "\n" }.joined()
    return RunResult(status: child.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: stderrText)
}

/// Lines collected from any thread (a log closure, an output closure), in the order they came.
public final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    public init() {}
    public func add(_ s: String) { lock.withLock { items.append(s) } }
    public var lines: [String] { lock.withLock { items } }
}

/// Paths of the package under test.
public enum Paths {
    /// The package root (found from this source file's location).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built `chainsnap` binary next to the test bundle.
    public static var chainsnapBinary: String {
        if let p = ProcessInfo.processInfo.environment["CHAINSNAP_BIN"] { return p }
        // Test bundles live in .build/<triple>/debug/; the executable sits beside them.
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for dir in candidates {
            let p = dir.appendingPathComponent("chainsnap").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return packageRoot + "/.build/debug/chainsnap"
    }

    /// `../shared/fixtures` beside the package (or `$CHAINSNAP_FIXTURES`), when present
    /// (tests that read it skip otherwise).
    public static var sharedFixtures: String? {
        let p = ProcessInfo.processInfo.environment["CHAINSNAP_FIXTURES"]
            ?? (packageRoot as NSString).deletingLastPathComponent + "/shared/fixtures"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// `../shared/fixtures/<path>` when it exists (see the `requiresSharedFixture` trait).
    public static func sharedFixture(_ path: String) -> String? {
        guard let root = sharedFixtures else { return nil }
        let p = root + "/" + path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}

/// The objects of NDJSON output (one JSON object per line, as every `--json` of chainsnap
/// prints); a line that is not a JSON object fails the test with the line in the error.
public func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ServerError("not a JSON object line: \(line)")
        }
        return o
    }
}
