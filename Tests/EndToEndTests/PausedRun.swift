import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A `chainsnap` run stopped at a `TestPause` point (LocalFS/TestPause.swift): the test acts while
/// it waits (starts a second run, kills it, changes a file), then lets it go or kills it.
final class PausedRun: @unchecked Sendable {
    let process: ChildProcess
    let pauseFile: String
    let logPath: String

    /// Starts `chainsnap args` with the pause set at `point`; returns once it is paused there.
    /// With `waitForPause: false` it returns at once (a run that is only to be watched).
    init(_ args: [String], point: String, in dir: String, label: String = "a", timeout: Double = 120,
         waitForPause: Bool = true) throws {
        pauseFile = dir + "/pause-\(label)"
        logPath = dir + "/run-\(label).log"
        process = try ChildProcess(Paths.chainsnapBinary, args,
                                   environment: ["CHAINSNAP_TEST_PAUSE": point, "CHAINSNAP_TEST_PAUSE_FILE": pauseFile],
                                   log: logPath)
        if waitForPause { try self.waitForPause(timeout: timeout) }
    }

    deinit {
        if process.isRunning { process.send(SIGKILL); process.wait(timeout: nil) }
    }

    /// The pid of the process that paused (chainsnap itself, or a child it started).
    var pausedPid: Int32 {
        let text = (try? String(contentsOfFile: pauseFile, encoding: .utf8)) ?? ""
        return Int32(text.split(separator: " ").first ?? "") ?? -1
    }

    /// What the pause file says (pid, point, detail).
    var pauseText: String { (try? String(contentsOfFile: pauseFile, encoding: .utf8)) ?? "" }

    /// Waits until the run is paused (again): the pause file exists.
    func waitForPause(timeout: Double = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: pauseFile) {
            guard process.isRunning else { throw ServerError("the run exited (\(process.terminationStatus)) before pausing: \(log)") }
            guard Date() < deadline else { throw ServerError("the run did not pause within \(timeout) s: \(log)") }
            usleep(10_000)
        }
    }

    /// Lets the paused run go on.
    func resume() { try? FileManager.default.removeItem(atPath: pauseFile) }

    /// Lets it go on and waits for it to exit; returns the exit status.
    func finish() -> Int32 {
        resume()
        process.wait(timeout: nil)
        return process.terminationStatus
    }

    /// kill -9 of the paused process, then waits for the started one to end.
    func kill9() {
        kill(pausedPid, SIGKILL)
        if pausedPid != process.pid { process.send(SIGKILL) }
        process.wait(timeout: nil)
        try? FileManager.default.removeItem(atPath: pauseFile)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
