import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Servers {
    /// Starts a server that binds port 0 and prints the port it got as the first line of its
    /// stdout (`8545` or `PORT 8545`), and returns it with that port. `what` names it in errors.
    ///
    /// The line is read with read(2), retrying EINTR: FileHandle's reads trap on an interrupted read.
    public static func startReportingPort(_ what: String, _ executable: String, _ args: [String], logPath: String,
                                          timeout: Double = 20) throws -> (process: ManagedProcess, port: Int) {
        let proc = try ManagedProcess(executable, args, logPath: logPath, stdoutPipe: true, killImmediately: true)
        var line = ""
        let deadline = Date().addingTimeInterval(timeout)
        let fd = proc.stdoutFD!
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var buf = [UInt8](repeating: 0, count: 256)
        while !line.contains("\n") && Date() < deadline {
            // Poll first: a server that never prints must not hold this thread past the deadline.
            let ready = poll(&p, 1, 200)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            line += String(decoding: buf[0..<n], as: UTF8.self)
        }
        let first = line.split(separator: "\n").first.map(String.init) ?? ""
        guard let port = first.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            proc.stop()
            throw ServerError("\(what) did not report its port (got '\(first)'): \(proc.logTail())")
        }
        return (proc, port)
    }
}
