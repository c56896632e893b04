#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LocalFS
import SnapshotCore
import Synchronization
import TestSupport
import Testing

@Suite struct SyscallTests {
    @Test("a call interrupted by a signal (EINTR) is made again, and its result returned")
    func retriesEINTR() throws {
        var calls = 0
        let r = try Syscall.run("read", path: "/x") { () -> Int in
            calls += 1
            if calls <= 3 { errno = EINTR; return -1 }
            return 42
        }
        #expect(r == 42)
        #expect(calls == 4)
    }

    @Test("any other failure is thrown at once, naming the call, the path, the reason and what to do")
    func throwsOtherErrors() throws {
        var calls = 0
        let e = try #require(throws: ChainsnapError.self) {
            try Syscall.run("write", path: "/data/db/000123.sst") { () -> Int32 in
                calls += 1
                errno = ENOSPC
                return -1
            }
        }
        #expect(calls == 1, "not retried")
        #expect(e.code == .insufficientSpace)
        #expect(e.message == "write '/data/db/000123.sst' failed: No space left on device")
        #expect(e.object == "/data/db/000123.sst")
        #expect(e.hint?.contains("free space or use a larger volume") == true)
    }

    @Test("attempt hands back the errno for calls where an error is an answer")
    func attemptReturnsErrno() {
        var calls = 0
        let r = Syscall.attempt { () -> Int32 in
            calls += 1
            errno = calls == 1 ? EINTR : EEXIST
            return -1
        }
        #expect(r == .failure(Syscall.Failure(errno: EEXIST)))
        #expect(calls == 2)
        #expect(Syscall.attempt { Int32(0) } == .success(0))
    }

    /// errno → category and the hint's key words (nil: the message says enough).
    static let table: [(errno: Int32, code: ChainsnapError.Code, hint: String?)] = [
        (ENOSPC, .insufficientSpace, "free space or use a larger volume"),
        (EDQUOT, .insufficientSpace, "quota"),
        (EACCES, .io, "check the permissions"),
        (EPERM, .io, "check the permissions"),
        (EROFS, .io, "read-only"),
        (EMFILE, .io, "ulimit -n"),
        (ENFILE, .io, "ulimit -n"),
        (EIO, .io, "dmesg"),
        (ENOENT, .notFound, nil),
        (EEXIST, .io, nil),
        (EINVAL, .io, nil),
    ]

    @Test("errno to category and hint: one table for every module", arguments: table.indices)
    func hintTable(_ i: Int) {
        let row = Self.table[i]
        let e = Syscall.error("open", path: "/t", errno: row.errno)
        #expect(e.code == row.code, "errno \(row.errno)")
        #expect(e.message == "open '/t' failed: " + String(cString: strerror(row.errno)))
        if let want = row.hint {
            #expect(e.hint?.contains(want) == true, "errno \(row.errno): \(e.hint ?? "no hint")")
        } else {
            #expect(e.hint == nil, "errno \(row.errno): \(e.hint ?? "")")
        }
    }

    @Test("a real signal interrupting a blocking read does not fail it")
    func realSignal() throws {
        // No SA_RESTART: the kernel returns EINTR from read(2) instead of restarting it.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        #expect(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let readFD = fds[0]
        let calls = Atomic<Int>(0)
        let reader = Mutex<pthread_t?>(nil)
        let outcome = Mutex<Result<Int, ChainsnapError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            // The thread may inherit a mask that blocks the signal (test runners block some).
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            reader.withLock { $0 = pthread_self() }
            var byte: UInt8 = 0
            do {
                let n = try Syscall.run("read", path: "pipe") { () -> Int in
                    calls.add(1, ordering: .relaxed)
                    return read(readFD, &byte, 1)
                }
                outcome.withLock { $0 = .success(n) }
            } catch {
                outcome.withLock { $0 = .failure(error as! ChainsnapError) }
            }
            done.signal()
        }
        thread.start()
        // Signal the reader until it has been interrupted and called read(2) again.
        let deadline = Date().addingTimeInterval(5)
        while calls.load(ordering: .relaxed) < 2 && Date() < deadline {
            if let t = reader.withLock({ $0 }), calls.load(ordering: .relaxed) >= 1 { pthread_kill(t, SIGUSR2) }
            usleep(20_000)
        }
        var one: UInt8 = 7
        #expect(write(fds[1], &one, 1) == 1)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(calls.load(ordering: .relaxed) >= 2, "read(2) was interrupted and made again")
        let result = try #require(outcome.withLock { $0 })
        #expect(try result.get() == 1)
    }
}
