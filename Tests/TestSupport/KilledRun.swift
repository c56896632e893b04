import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts `executable ARGS…` (its output discarded), waits until the file `journal` holds at least
/// `lines` lines (or the process ends, or `timeout` seconds pass), kills it with SIGKILL, and
/// returns how many lines the journal holds after the kill (chunks may finish between the last
/// look and the signal). For tests of a restore killed midway and resumed.
public func killWhenJournalReaches(_ executable: String, _ args: [String], journal: String, lines: Int,
                                   timeout: Double) throws -> Int {
    func count() -> Int { ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n").count }
    let p = try ChildProcess(executable, args, log: nil)
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if count() >= lines || !p.isRunning { break }
        usleep(2000)
    }
    p.send(SIGKILL)
    p.wait(timeout: nil)
    return count()
}
