import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the tests start with `posix_spawn`, not Foundation's `Process`.
///
/// Why not `Process`: on Linux it emulates close-on-exec by closing, in the child, the
/// descriptors open when it looked, so a pipe another test thread opens at that moment is
/// inherited; and it learns that a child exited when a socket the child inherited closes. With
/// hundreds of tests starting children at once, a long-lived server (nginx, SeaweedFS, a Python
/// stand-in) could inherit another run's pipe, and that run then waited for an end of file that
/// never came, holding one of Swift concurrency's two cooperative threads for good; two such
/// runs stalled the whole suite (CI ran out of time with the restores of a dozen tests stuck).
///
/// Here the child keeps only descriptors 0, 1 and 2 (every other one is closed as it execs, by
/// `posix_spawn_file_actions_addclosefrom_np`), the pipes made for it are close-on-exec in this
/// process, and its exit is learnt with `waitpid`.
public final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let lock = NSLock()
    private var rawStatus: Int32?

    /// Starts `executable` (an absolute path, or a name looked up on PATH through `/usr/bin/env`)
    /// with `args`. `stdin`, `stdout` and `stderr` are this process's descriptors the child gets as
    /// 0, 1 and 2; `environment` entries are added to this process's environment.
    public init(_ executable: String, _ args: [String], environment: [String: String]? = nil, cwd: String? = nil,
                stdin: Int32, stdout: Int32, stderr: Int32) throws {
        let argv0 = executable.hasPrefix("/") ? executable : "/usr/bin/env"
        let argList = [argv0] + (executable.hasPrefix("/") ? [] : [executable]) + args
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (from, to) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] where from != to {
            posix_spawn_file_actions_adddup2(&actions, from, to)
        }
        try Self.closeFrom3(&actions)
        if let cwd { try Self.changeDirectory(&actions, cwd) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The test runner's threads may block or ignore signals; the child starts with defaults.
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = environment.map { ProcessInfo.processInfo.environment.merging($0) { _, new in new } }
            ?? ProcessInfo.processInfo.environment
        let argv: [UnsafeMutablePointer<CChar>?] = argList.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv0, &actions, &attr, argv, envp)
        guard rc == 0 else { throw ServerError("could not start \(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Starts `executable` with stdin from /dev/null and stdout and stderr appended to `logPath`
    /// (created or truncated), or discarded when `logPath` is nil.
    public convenience init(_ executable: String, _ args: [String], environment: [String: String]? = nil, cwd: String? = nil,
                            log logPath: String?) throws {
        let devNull = try Self.openNull()
        defer { close(devNull) }
        let out = try logPath.map(Self.openLog) ?? devNull
        defer { if out != devNull { close(out) } }
        try self.init(executable, args, environment: environment, cwd: cwd, stdin: devNull, stdout: out, stderr: out)
    }

    /// Opens `path` for a child's output: created or truncated, appended to, close-on-exec here.
    public static func openLog(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServerError("cannot write \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// /dev/null, read-write and close-on-exec here: a child's stdin, or the output it discards.
    public static func openNull() throws -> Int32 {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw ServerError("cannot open /dev/null: \(String(cString: strerror(errno)))") }
        return fd
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = wait(timeout: nil)
        }
    }

    /// A pipe whose two ends are close-on-exec here (the child gets its end through dup2).
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard let pipe2 = Self.pipe2, pipe2(&fds, O_CLOEXEC) == 0 else { throw ServerError("pipe2 failed: \(String(cString: strerror(errno)))") }
        return (fds[0], fds[1])
    }

    /// Reaps the child if it has exited; true once it has.
    private func reap(blocking: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if rawStatus != nil { return true }
        var st: Int32 = 0
        while true {
            let r = waitpid(pid, &st, blocking ? 0 : WNOHANG)
            if r == pid { rawStatus = st; return true }
            if r == 0 { return false }
            if errno == EINTR { continue }
            rawStatus = 0x7f00  // ECHILD: not ours to wait for any more; report it as "stopped"
            return true
        }
    }

    /// Whether the child is still running.
    public var isRunning: Bool { !reap(blocking: false) }

    /// Waits until the child exits, or `timeout` seconds pass (nil: no limit). True when it exited.
    @discardableResult
    public func wait(timeout: Double?) -> Bool {
        guard let timeout else { return reap(blocking: true) }
        let deadline = Date().addingTimeInterval(timeout)
        var pause: UInt32 = 1_000
        while !reap(blocking: false) {
            if Date() >= deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        return true
    }

    /// Waits up to `seconds` for the child to exit; if it has not, kills it (SIGKILL) and reaps it.
    /// True when it exited on its own.
    @discardableResult
    public func waitOrKill(within seconds: Double) -> Bool {
        if wait(timeout: seconds) { return true }
        send(SIGKILL)
        wait(timeout: nil)
        return false
    }

    /// As Foundation reports it: the exit code, or the number of the signal that ended it.
    public var terminationStatus: Int32 {
        let st = lock.withLock { rawStatus } ?? 0
        let sig = st & 0x7f
        return sig == 0 ? (st >> 8) & 0xff : sig
    }

    /// Whether a signal ended it.
    public var killedBySignal: Bool {
        let st = lock.withLock { rawStatus } ?? 0
        let sig = st & 0x7f
        return sig != 0 && sig != 0x7f
    }

    /// Sends `signal` unless the child was already reaped (its pid may be reused).
    public func send(_ signal: Int32) {
        lock.withLock { if rawStatus == nil { _ = kill(pid, signal) } }
    }

    // MARK: calls glibc has but Swift's Glibc module does not export

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let pipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    /// Every descriptor from 3 up is closed in the child (glibc 2.34+; older: those open now).
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) throws {
        if let closeFrom {
            let rc = closeFrom(&actions, 3)
            guard rc == 0 else { throw ServerError("posix_spawn_file_actions_addclosefrom_np: \(String(cString: strerror(rc)))") }
            return
        }
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    private static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, _ dir: String) throws {
        guard let addChdir else { throw ServerError("this glibc has no posix_spawn_file_actions_addchdir_np (cwd: \(dir))") }
        let rc = addChdir(&actions, dir)
        guard rc == 0 else { throw ServerError("posix_spawn_file_actions_addchdir_np: \(String(cString: strerror(rc)))") }
    }
}

/// Reads a descriptor to its end on a thread of its own. `finish(by:)` waits for the end at
/// most until then: a grandchild that still holds the pipe open cannot keep a test waiting.
public final class PipeDrain: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var data = Data()
    private var ended = false
    private var abandoned = false

    /// Starts reading `fd`, which it closes in `finish`.
    public init(_ fd: Int32) {
        self.fd = fd
        let t = Thread { [self] in loop() }
        t.name = "test-pipe-drain"
        t.start()
    }

    private func loop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !lock.withLock({ abandoned }) {
            let r = poll(&p, 1, 100)
            if r == 0 || (r < 0 && errno == EINTR) { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                lock.withLock { data.append(contentsOf: buf[0..<n]) }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            break
        }
        lock.withLock { ended = true }
    }

    /// What has been read so far, as text.
    public var text: String { String(decoding: lock.withLock { data }, as: UTF8.self) }

    /// What was read; `complete` is false when the end did not come by `deadline`.
    public func finish(by deadline: Date) -> (data: Data, complete: Bool) {
        while !lock.withLock({ ended }) && Date() < deadline { usleep(2_000) }
        let complete = lock.withLock { ended }
        if !complete {
            lock.withLock { abandoned = true }
            while !lock.withLock({ ended }) { usleep(10_000) }
        }
        close(fd)
        return (lock.withLock { data }, complete)
    }
}
