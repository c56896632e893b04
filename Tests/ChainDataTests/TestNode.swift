import Foundation
import Testing
import TestSupport

/// Tests/servers/testnode.py run on 127.0.0.1 for one test; killed on deinit (and with the test process).
final class TestNode: @unchecked Sendable {
    let proc: ManagedProcess
    let port: Int
    let logDir = TempDir("testnode-log")
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the node; nil (after recording an issue when servers are required) if Python or pyrlp is missing.
    static func start(_ args: [String]) throws -> TestNode? {
        guard let py = PythonTools.pythonOrSkip() else { return nil }
        return try TestNode(python: py, args: args)
    }

    private init(python: String, args: [String]) throws {
        let pipe = Pipe()
        proc = try ManagedProcess(python, [Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "0"] + args,
                                  logPath: logDir.sub("testnode.log"), stdoutPipe: pipe, killImmediately: true)
        // The first line is "PORT <n>". read(2) with EINTR retries: FileHandle reads trap on EINTR.
        let line = readLine(pipe.fileHandleForReading.fileDescriptor, timeout: 20)
        guard let p = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            proc.stop()
            throw TestNodeError.noPort(line + proc.logTail())
        }
        port = p
    }

    /// The node's counters (test_state).
    func state() throws -> [String: Any] {
        let r = try run("curl", ["-s", "-XPOST", url + "/ext/bc/C/rpc", "-H", "Content-Type: application/json",
                                 "-d", #"{"jsonrpc":"2.0","id":1,"method":"test_state","params":[]}"#])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return obj?["result"] as? [String: Any] ?? [:]
    }

    var height: Int { (try? state()["height"] as? Int) ?? -1 }
}

enum TestNodeError: Error { case noPort(String) }

/// Reads one line from `fd` (up to the first newline), retrying EINTR, giving up after `timeout` seconds.
func readLine(_ fd: Int32, timeout: Double) -> String {
    var line = ""
    let deadline = Date().addingTimeInterval(timeout)
    var buf = [UInt8](repeating: 0, count: 256)
    while !line.contains("\n") && Date() < deadline {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        line += String(decoding: buf[0..<n], as: UTF8.self)
    }
    return line
}

/// Runs the built chainsnap binary.
func chainsnap(_ args: [String]) throws -> RunResult {
    try run(Paths.chainsnapBinary, args)
}
