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

/// Runs a program to completion, capturing stdout and stderr.
@discardableResult
public func run(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                cwd: String? = nil, stdin: String? = nil) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    p.arguments = executable.hasPrefix("/") ? args : [executable] + args
    if let environment {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let outPipe = Pipe(), errPipe = Pipe()
    p.standardOutput = outPipe
    p.standardError = errPipe
    let inPipe = Pipe()
    p.standardInput = inPipe
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    let errBox = DataBox()
    let t = Thread { errBox.data = readAll(errPipe.fileHandleForReading.fileDescriptor) }
    t.start()
    let out = readAll(outPipe.fileHandleForReading.fileDescriptor)
    p.waitUntilExit()
    while !errBox.done { usleep(1000) }
    return RunResult(status: p.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                     stderr: String(decoding: errBox.data, as: UTF8.self))
}

/// Reads a descriptor to its end, retrying interrupted reads (Foundation's
/// readDataToEndOfFile traps on EINTR under load).
func readAll(_ fd: Int32) -> Data {
    var out = Data()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 { out.append(contentsOf: buf[0..<n]); continue }
        if n < 0 && errno == EINTR { continue }
        return out
    }
}

/// Lines collected from any thread (a log closure, an output closure), in the order they came.
public final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    public init() {}
    public func add(_ s: String) { lock.withLock { items.append(s) } }
    public var lines: [String] { lock.withLock { items } }
}

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
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
