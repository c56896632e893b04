import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The harness that starts every child of the suite (`run`, `ManagedProcess`, both on
/// `ChildProcess`): what it guarantees so that one stuck child fails one test, not the suite.
@Suite struct HarnessProcessTests {
    /// The descriptors a process holds, from /proc.
    static func descriptors(_ pid: pid_t) -> Set<Int32> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap { Int32($0) })
    }

    @Test("a child inherits only 0, 1 and 2, even descriptors this process opened without close-on-exec")
    func childInheritsOnlyStdio() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)  // plain pipe(2): inheritable, as other libraries' descriptors are
        defer { close(fds[0]); close(fds[1]) }
        let devNull = open("/dev/null", O_RDWR)
        defer { close(devNull) }
        let child = try ChildProcess("/bin/sleep", ["5"], stdin: devNull, stdout: devNull, stderr: devNull)
        defer { child.send(SIGKILL); child.wait(timeout: nil) }
        var held: Set<Int32> = []
        let deadline = Date().addingTimeInterval(5)
        repeat {  // until sleep runs (the fds of a child between fork and exec are still ours)
            held = Self.descriptors(child.pid)
            if (try? String(contentsOfFile: "/proc/\(child.pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true { break }
            usleep(5_000)
        } while Date() < deadline
        #expect(held == [0, 1, 2], "the child holds \(held.sorted()); this process had the pipe \(fds) open")
    }

    @Test("a child still running at its timeout is killed, and the run says so")
    func timeoutKills() throws {
        let started = Date()
        let r = try run("sh", ["-c", "echo before; sleep 60"], timeout: 1)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(r.status == SIGKILL)
        #expect(r.stdout == "before\n")
        #expect(r.stderr.contains("killed after 1 s"), "\(r.stderr)")
    }

    @Test("a grandchild that keeps the output pipe open does not keep the run waiting")
    func grandchildHoldingThePipe() throws {
        let started = Date()
        let r = try run("sh", ["-c", "sleep 20 & echo started"])
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(r.status == 0)
        #expect(r.stdout == "started\n")
        #expect(r.stderr.contains("output pipe stayed open"), "\(r.stderr)")
    }

    @Test("exit codes, signals, stdin, environment and working folder come through")
    func basics() throws {
        let t = TempDir("harness")
        var r = try run("sh", ["-c", "cat; echo \"$HARNESS_X\"; pwd; exit 3"], environment: ["HARNESS_X": "x1"], cwd: t.path, stdin: "in\n")
        #expect(r.status == 3)
        #expect(r.stdout == "in\nx1\n" + ((t.path as NSString).resolvingSymlinksInPath) + "\n" || r.stdout == "in\nx1\n" + t.path + "\n", "\(r.stdout)")
        r = try run("sh", ["-c", "kill -TERM $$"])
        #expect(r.status == SIGTERM)
        r = try run("/bin/sh", ["-c", "echo err >&2"])
        #expect(r.status == 0 && r.stderr == "err\n" && r.stdout.isEmpty)
    }
}
