import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shared plumbing for the real servers the tests start on 127.0.0.1 (nginx, SeaweedFS,
/// the fault server): finding tools, free ports, waiting for readiness, and child processes
/// that are always stopped (explicitly, or at the latest when their owner is released).
public enum Servers {
    /// The full path of a tool, looked up on PATH, in the package's `.venv/bin` and in `/usr/sbin`.
    public static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init)
            + [Paths.packageRoot + "/.venv/bin", "/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"]
        for d in dirs {
            let p = d + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Throws a clear error naming the package to install when a tool is missing.
    public static func need(_ name: String, package: String) throws -> String {
        if let p = tool(name) { return p }
        throw ServerError("'\(name)' is not installed; run scripts/setup.sh (it installs \(package))")
    }

    /// A TCP port on 127.0.0.1 that is free right now, for a server the test starts next.
    /// Taken below the ephemeral range and never handed out twice (see `freePortBlock`): a port
    /// from bind(0) could be taken by an outgoing connection before the server binds it.
    public static func freePort() -> Int {
        freePortBlock(count: 1, offset: 0)
    }

    /// A base port `b` such that `b..<b+count` and `b+offset..<b+offset+count` are all free
    /// (SeaweedFS puts each gRPC port 10000 above its HTTP port).
    /// Ports are taken below Linux's ephemeral range (32768+), so outgoing connections cannot
    /// grab them between the probe and the server's bind, and never handed out twice per process.
    public static func freePortBlock(count: Int, offset: Int = 10000) -> Int {
        for _ in 0..<500 {
            let base = Int.random(in: 20000..<(32768 - offset - count))
            let all = (0..<count).flatMap { [base + $0, base + offset + $0] }
            guard claim(all) else { continue }
            if all.allSatisfy({ bindProbe($0) != nil }) { return base }
        }
        return 20000 + Int.random(in: 0..<2000)
    }

    private static let claimedLock = NSLock()
    nonisolated(unsafe) private static var claimed = Set<Int>()

    /// Reserves ports within this test process; false if any was handed out before.
    static func claim(_ ports: [Int]) -> Bool {
        claimedLock.withLock {
            if ports.contains(where: claimed.contains) { return false }
            claimed.formUnion(ports)
            return true
        }
    }

    /// Binds 127.0.0.1:`port` (0 = any) and returns the bound port, or nil if it is taken.
    static func bindProbe(_ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard withLoopback(port, { bind(fd, $0, $1) }) == 0 else { return nil }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: out.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return withLoopback(port, { connect(fd, $0, $1) }) == 0
    }

    /// Calls `body` (bind, connect) with the address 127.0.0.1:`port` and its length.
    static func withLoopback(_ port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Waits until `ready()` holds, or throws after `timeout` seconds (with the server's log, if given).
    public static func wait(for what: String, timeout: Double, process: ManagedProcess? = nil,
                            _ ready: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ready() { return }
            if let process, !process.isRunning {
                throw ServerError("\(what) exited before it was ready: \(process.logTail())")
            }
            usleep(50_000)
        }
        throw ServerError("\(what) was not ready after \(timeout) s\(process.map { ": " + $0.logTail() } ?? "")")
    }
}

/// A test-server failure with a readable message.
public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

/// A child process owned by a test (a `ChildProcess`: it inherits no descriptor but its own
/// three). `stop()` is idempotent; `deinit` stops it too.
public final class ManagedProcess: @unchecked Sendable {
    let child: ChildProcess
    public let logPath: String
    private let lock = NSLock()
    private var stopped = false
    /// The read end of the stdout pipe (`stdoutPipe`), kept open while the process lives so its
    /// later writes do not fail.
    private let stdoutRead: Int32?
    /// Send SIGKILL straight away (servers whose state lives in a temp folder).
    public var killImmediately: Bool

    /// Starts `executable args`, stdout+stderr appended to `logPath`; with `stdoutPipe`, stdout
    /// goes to a pipe whose read end `stdoutFD` gives instead.
    public init(_ executable: String, _ args: [String], logPath: String, environment: [String: String]? = nil,
                stdoutPipe: Bool = false, killImmediately: Bool = false) throws {
        self.logPath = logPath
        self.killImmediately = killImmediately
        let log = try ChildProcess.openLog(logPath)
        defer { close(log) }
        let devNull = try ChildProcess.openNull()
        defer { close(devNull) }
        let pipe = stdoutPipe ? try ChildProcess.pipe() : nil
        // Through Tests/servers/with_parent.py when python3 is there: the server then dies with
        // this test process even if it crashes (no orphaned servers holding ports and memory).
        let guardScript = Paths.packageRoot + "/Tests/servers/with_parent.py"
        let (exe, argv): (String, [String])
        if let python = Servers.tool("python3"), FileManager.default.fileExists(atPath: guardScript) {
            (exe, argv) = (python, [guardScript, executable] + args)
        } else {
            (exe, argv) = (executable, args)
        }
        do {
            child = try ChildProcess(exe, argv, environment: environment, stdin: devNull, stdout: pipe?.write ?? log, stderr: log)
        } catch {
            if let pipe { close(pipe.read); close(pipe.write) }
            throw error
        }
        if let pipe { close(pipe.write) }
        stdoutRead = pipe?.read
    }

    deinit {
        stop()
        if let stdoutRead { close(stdoutRead) }
    }

    /// The pid of the process started (the with_parent.py guard when it is used).
    public var pid: pid_t { child.pid }

    /// The read end of stdout when started with `stdoutPipe`.
    public var stdoutFD: Int32? { stdoutRead }

    public var isRunning: Bool { child.isRunning }

    /// Stops the process: SIGTERM, then SIGKILL after `grace` seconds (or at once if `killImmediately`).
    public func stop(grace: Double = 3) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard child.isRunning else { return }
        if killImmediately {
            child.send(SIGKILL)
            child.wait(timeout: nil)
        } else {
            child.send(SIGTERM)
            child.waitOrKill(within: grace)
        }
    }

    /// The last lines of the process's log, for error messages.
    public func logTail(_ bytes: Int = 2000) -> String {
        guard let d = FileManager.default.contents(atPath: logPath) else { return "(no log)" }
        return String(decoding: d.suffix(bytes), as: UTF8.self)
    }
}

/// Runs blocking work (starting a server, waiting for its port) on its own thread, so it does
/// not hold one of Swift concurrency's few cooperative threads, which other tests' timings need.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
        let t = Thread { cont.resume(with: Result { try work() }) }
        t.start()
    }
}

extension Servers {
    /// Runs a tool to completion with its output in `logPath` (no pipes). Returns the exit status.
    @discardableResult
    public static func runLogged(_ executable: String, _ args: [String], logPath: String) throws -> Int32 {
        let p = try ChildProcess(executable, args, log: logPath)
        p.wait(timeout: nil)
        return p.terminationStatus
    }

    /// A plain HTTP/1.0 GET to 127.0.0.1:`port` over a raw socket: (status, body), or nil if
    /// nothing answers. EINTR-safe; used for readiness probes and server statistics.
    public static func httpGet(port: Int, path: String = "/", timeout: Double = 5) -> (status: Int, body: [UInt8])? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard withLoopback(port, { connect(fd, $0, $1) }) == 0 else { return nil }
        let req = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        var sent = 0
        while sent < req.count {
            let n = req.withUnsafeBytes { send(fd, $0.baseAddress! + sent, req.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            sent += n
        }
        var resp: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            resp += buf[0..<n]
        }
        guard let headEnd = resp.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: resp[..<headEnd.lowerBound], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        return (status, Array(resp[headEnd.upperBound...]))
    }
}
