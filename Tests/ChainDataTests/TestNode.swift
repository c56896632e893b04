import Foundation
import Testing
import TestSupport

/// Tests/servers/testnode.py run on 127.0.0.1 for one test; stopped on deinit.
final class TestNode: @unchecked Sendable {
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the node; nil (after recording an issue when servers are required) if Python or pyrlp is missing.
    static func start(_ args: [String]) throws -> TestNode? {
        guard let py = PythonTools.pythonOrSkip() else { return nil }
        return try TestNode(python: py, args: args)
    }

    private init(python: String, args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Paths.packageRoot + "/Tests/servers/testnode.py", "--port", "0"] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is "PORT <n>".
        var line = Data()
        let h = out.fileHandleForReading
        while !line.contains(10) {
            let d = h.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let p = text.split(separator: "\n").first?.split(separator: " ").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw TestNodeError.noPort(text)
        }
        port = p
    }

    deinit {
        // SIGKILL: a child of the test runner may inherit a blocked SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
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

/// Tests/servers/fault_server.py serving a folder over HTTP with Range support (killed on deinit).
final class TestHTTPServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    init(root: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Paths.packageRoot + "/Tests/servers/fault_server.py", "--root", root, "--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestNodeError.noPort(String(decoding: line, as: UTF8.self))
        }
        port = p
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// Base URL whose requests get `mode` (`ok`, `drop`, `500`…) `times` times first.
    func url(_ mode: String = "ok", times: Int = 0) -> String { "http://127.0.0.1:\(port)/\(mode)/\(times)" }
}

/// Runs the built chainsnap binary.
func chainsnap(_ args: [String]) throws -> RunResult {
    try run(Paths.chainsnapBinary, args)
}
