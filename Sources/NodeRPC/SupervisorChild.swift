import Foundation
import SnapshotCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawnp`, reaped by a dedicated thread.
///
/// The supervisor ignores SIGTERM/SIGINT itself (it forwards them), and ignored signals
/// survive `exec`: the child therefore gets those signals reset to their defaults and an
/// empty signal mask, so the node reacts to SIGTERM as it would when started by a shell.
public final class SupervisedChild: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` (searched on PATH when it has no slash) with `arguments`,
    /// inheriting the environment, stdin, stdout and stderr.
    public static func spawn(_ executable: String, _ arguments: [String]) throws -> SupervisedChild {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, s) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &mask)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, nil, &attr, argv, environ)
        guard rc == 0 else {
            throw ChainsnapError(.io, "could not start \(executable): \(String(cString: strerror(rc)))",
                                 object: executable,
                                 hint: "check the node command after `--`: the program must exist and be executable (PATH is searched)")
        }
        let child = SupervisedChild(pid: pid)
        let reaper = Thread { child.reap() }
        reaper.name = "chainsnap-reaper-\(pid)"
        reaper.start()
        return child
    }

    private func reap() {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 {
            if errno != EINTR { raw = 1 << 8; break }
        }
        let code = Self.exitCode(fromWaitStatus: raw)
        let pending: [CheckedContinuation<Int32, Never>] = lock.withLock {
            status = code
            defer { waiters = [] }
            return waiters
        }
        for w in pending { w.resume(returning: code) }
    }

    /// A `waitpid` status as a shell would report it: the exit code, or 128 + signal number.
    public static func exitCode(fromWaitStatus raw: Int32) -> Int32 {
        let sig = raw & 0x7f
        return sig == 0 ? (raw >> 8) & 0xff : 128 + sig
    }

    /// The exit code once the child has exited (128 + N when killed by signal N), else nil.
    public var exitStatus: Int32? { lock.withLock { status } }

    /// Sends `signal` to the child unless it has already been reaped (its pid may be reused).
    public func send(_ signal: Int32) {
        lock.withLock {
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits for the child to exit and returns its exit code.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            let done: Int32? = lock.withLock {
                if let status { return status }
                waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
    }

    /// Waits at most `seconds` for the child to exit; nil when it is still running.
    public func waitForExit(atMost seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let s = exitStatus { return s }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return exitStatus
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns the exit code.
    public func stop(grace: Double) async -> Int32 {
        send(SIGTERM)
        if let s = await waitForExit(atMost: grace) { return s }
        send(SIGKILL)
        return await waitForExit()
    }
}

/// Ignores the given signals in this process and calls `handler` for each one received,
/// so they can be passed on to a child. `cancel()` restores the default dispositions.
public final class SignalForwarder: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let signals: [Int32]

    public init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        for s in signals {
            signal(s, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: s, queue: .global())
            src.setEventHandler { handler(s) }
            src.resume()
            sources.append(src)
        }
    }

    public func cancel() {
        for s in sources { s.cancel() }
        sources = []
        for s in signals { signal(s, SIG_DFL) }
    }
}
