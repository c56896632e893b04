#if canImport(Glibc)
import Glibc
import SnapshotCore
#endif

/// One progress report: what the status file, JSON log lines and observers get.
public struct ProgressState: Sendable, Equatable {
    public var task: String
    public var done: Int64
    public var total: Int64
    public var bytesPerSecond: Double
    public var elapsed: Double
    public var finished: Bool
    /// Unix seconds of the report.
    public var time: Double

    /// One JSON object on one line (ending in a newline):
    /// `{"task":…,"done":…,"total":…,"bytesPerSecond":…,"elapsedSeconds":…,"finished":…,"time":…}`.
    public var jsonLine: String {
        "{\"task\":\"\(jsonEscaped(task))\",\"done\":\(done),\"total\":\(total),\"bytesPerSecond\":\(Int(bytesPerSecond)),"
            + "\"elapsedSeconds\":\(Int(elapsed)),\"finished\":\(finished),\"time\":\(Int(time))}\n"
    }
}

/// Unix time in seconds (wall clock).
public func wallClockSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
