#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import LocalFS
import Synchronization
import SnapshotCore

/// Progress of a long command, printed to stderr: a live line with bytes, rate and
/// ETA on a terminal; plain periodic log lines when stderr is not a terminal (a pod log).
/// Optionally also written as JSON to a status file for the cluster (`--progress-file`), and
/// handed to an observer (a metrics textfile). With `CHAINSNAP_PROGRESS_FORMAT=json` the log lines
/// on a non-terminal stderr are JSON objects too, one per line (the same object as the status file).
public final class ProgressReporter: Sendable {
    private let label: String
    private let total = Atomic<Int64>(0)
    private let done = Atomic<Int64>(0)
    /// False while the total is still being counted (a walk that runs beside the work).
    private let totalKnown = Atomic<Bool>(true)
    private let started: Double
    private let isTTY: Bool
    private let interval: Double
    private let statusFile: String?
    private let timer: Mutex<TimerBox?> = Mutex(nil)
    private let lastLine = Mutex<Int>(0)
    /// Held for a whole report, so reports never overlap; true once the final one is made. A
    /// timer tick already running when `finish()` cancels the timer would otherwise write its
    /// older, unfinished state over the final one (the status file and the metrics textfile
    /// would say "running" after the command ended).
    private let reporting = Mutex<Bool>(false)
    private let observer: (@Sendable (ProgressState) -> Void)?
    private let jsonLines: Bool

    /// - Parameters:
    ///   - interval: seconds between plain log lines when not on a terminal.
    ///   - quiet: print nothing (for `--json` callers that only want the result).
    ///   - observer: called with every report (periodic and final), on the reporting thread.
    public init(label: String, total: Int64, interval: Double? = nil, statusFile: String? = nil, quiet: Bool = false,
                observer: (@Sendable (ProgressState) -> Void)? = nil) {
        self.label = label
        self.total.store(total, ordering: .relaxed)
        self.started = monotonicSeconds()
        self.isTTY = !quiet && isatty(2) == 1
        let env = getenv("CHAINSNAP_PROGRESS_INTERVAL").map { Double(String(cString: $0)) } ?? nil
        self.interval = quiet ? 0 : (interval ?? env ?? (isatty(2) == 1 ? 0.5 : 10))
        self.statusFile = statusFile
        self.observer = observer
        self.jsonLines = getenv("CHAINSNAP_PROGRESS_FORMAT").map { String(cString: $0) == "json" } ?? false
    }

    /// Sets the total; `known: false` while it is still being counted (the found-so-far bytes):
    /// lines then say so and give no percentage or ETA, which would only chase the count.
    public func setTotal(_ v: Int64, known: Bool = true) {
        total.store(v, ordering: .relaxed)
        totalKnown.store(known, ordering: .relaxed)
    }
    public func add(_ bytes: Int64) { done.add(bytes, ordering: .relaxed) }
    public var completed: Int64 { done.load(ordering: .relaxed) }
    public var elapsed: Double { monotonicSeconds() - started }

    /// Starts periodic reporting.
    public func start() {
        guard interval > 0 || statusFile != nil || observer != nil else { return }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        let every = interval > 0 ? interval : 5
        t.schedule(deadline: .now() + every, repeating: every)
        t.setEventHandler { [self] in self.report(final: false) }
        t.resume()
        let box = TimerBox(t)
        timer.withLock { $0 = box }
    }

    /// Stops reporting and prints the final line.
    public func finish() {
        timer.withLock { t in t?.timer.cancel(); t = nil }
        report(final: true)
    }

    private func report(final: Bool) {
        reporting.withLock { finished in
            if finished && !final { return }
            if final { finished = true }
            make(final: final)
        }
    }

    private func make(final: Bool) {
        let d = done.load(ordering: .relaxed)
        let tot = total.load(ordering: .relaxed)
        let secs = max(elapsed, 0.001)
        let rate = Double(d) / secs
        let line = Self.text(label: label, done: d, total: tot, totalKnown: totalKnown.load(ordering: .relaxed), seconds: secs, final: final)
        let state = ProgressState(task: label, done: d, total: tot, bytesPerSecond: rate, elapsed: secs, finished: final,
                                  time: wallClockSeconds())
        if let statusFile { try? writeStatus(statusFile, state.jsonLine) }
        observer?(state)
        if isTTY {
            lastLine.withLock { prev in
                let pad = String(repeating: " ", count: max(0, prev - line.count))
                writeStderr("\r" + line + pad + (final ? "\n" : ""))
                prev = line.count
            }
        } else if interval > 0 && (!final || d > 0) {
            writeStderr(jsonLines ? state.jsonLine : line + "\n", stamp: !jsonLines)
        }
    }

    /// One progress line. No ETA (and no rate) before bytes have moved: an estimate from nothing
    /// is a claim; no percentage or ETA while the total is still being counted.
    static func text(label: String, done d: Int64, total tot: Int64, totalKnown: Bool, seconds secs: Double, final: Bool) -> String {
        let rate = Double(d) / secs
        let pct = tot > 0 ? min(100, Double(d) * 100 / Double(tot)) : 100
        if d == 0 && !final {
            return "\(label): 0 B / \(ByteCount.format(tot)), waiting for the first bytes (\(formatDuration(secs)))"
        }
        if !final && !totalKnown {
            return "\(label): \(ByteCount.format(d)) of \(ByteCount.format(tot)) found so far (still scanning), \(ByteCount.formatRate(rate))"
        }
        let eta = rate > 0 && tot > d ? "ETA \(formatDuration(Double(tot - d) / rate))" : "finishing"
        return "\(label): \(ByteCount.format(d)) / \(ByteCount.format(tot)) (\(String(Int(pct)))%), "
            + "\(ByteCount.formatRate(rate)), " + (final ? "took \(formatDuration(secs))" : eta)
    }

    /// Replaces the status file in one rename, so a reader never sees half of it (not fsynced:
    /// it is rewritten every interval).
    private func writeStatus(_ path: String, _ json: String) throws {
        try FS.writeAtomically(path, bytes: Array(json.utf8), mode: 0o644, durable: false)
    }
}

/// Writes text to stderr in one call (so lines from several threads do not interleave), unbuffered.
/// When stderr is not a terminal (a pod log, a pipe) every line gets an RFC 3339 timestamp;
/// `\r` progress lines only ever go to a terminal.
/// `stamp: false` for lines that carry their own time (JSON progress objects stay pure JSON).
public func writeStderr(_ s: String, stamp: Bool = true) {
    var s = stderrIsTerminal || !stamp ? s : LogLines.stamped(s)
    s.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
}

/// Whether stderr is a terminal (checked once).
public let stderrIsTerminal: Bool = isatty(2) == 1

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A DispatchSource timer is thread-safe to cancel; the box lets it live in a Mutex.
struct TimerBox: @unchecked Sendable {
    let timer: any DispatchSourceTimer
    init(_ t: any DispatchSourceTimer) { timer = t }
}
