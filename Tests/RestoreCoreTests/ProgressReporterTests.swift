import Foundation
import Synchronization
import Testing
import TestSupport
@testable import RestoreCore

/// The final report is the last one: a timer tick that is already running when `finish()` cancels
/// the timer must not land after it. Found in CI: a restore's `--progress-file` ended with
/// `"finished":false` (`MonitoringCLITests.jobTextfilesCarryTheLastSuccessAndPassPromtool`), and the
/// metrics textfile, written by the observer, could say the restore was still running.
@Suite struct ProgressReporterTests {
    @Test("while the total is still being counted a line gives no percentage or ETA; once known, it does")
    func totalStillCounted() {
        let counting = ProgressReporter.text(label: "snapshot x", done: 60 << 20, total: 62 << 20, totalKnown: false, seconds: 10, final: false)
        #expect(counting.contains("found so far (still scanning)"), "\(counting)")
        #expect(!counting.contains("%") && !counting.contains("ETA"), "\(counting)")
        let known = ProgressReporter.text(label: "snapshot x", done: 60 << 20, total: 120 << 20, totalKnown: true, seconds: 10, final: false)
        #expect(known.contains("(50%)") && known.contains("ETA 10s"), "\(known)")
        let done = ProgressReporter.text(label: "snapshot x", done: 62 << 20, total: 62 << 20, totalKnown: false, seconds: 10, final: true)
        #expect(done.contains("(100%)") && done.contains("took"), "\(done)")
    }

    @Test("a tick in flight when finish() is called does not overwrite the final report")
    func finalReportIsLast() throws {
        let t = TempDir("progress")
        let status = t.sub("progress.json")
        let inTick = Atomic<Bool>(false)
        let seen = Mutex<[Bool]>([])  // `finished` of each report, in the order the observer ended them
        let p = ProgressReporter(label: "restore", total: 100, interval: 0.01, statusFile: status) { state in
            if !state.finished {
                inTick.store(true, ordering: .sequentiallyConsistent)
                usleep(150_000)  // a slow observer (a textfile on a busy disk) holds the tick open
            }
            seen.withLock { $0.append(state.finished) }
        }
        p.add(40)
        p.start()
        let deadline = Date().addingTimeInterval(20)
        while !inTick.load(ordering: .sequentiallyConsistent) && Date() < deadline { usleep(1_000) }
        let ticked = inTick.load(ordering: .sequentiallyConsistent)
        try #require(ticked, "the timer never ticked")
        p.add(60)
        p.finish()
        usleep(300_000)  // time for a tick that was already running to end
        let order = seen.withLock { $0 }
        #expect(order.last == true, "the observer's last report is unfinished: \(order)")
        #expect(order.filter { $0 }.count == 1, "one final report: \(order)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: status))) as? [String: Any]
        #expect(json?["finished"] as? Bool == true, "the status file after finish(): \(json ?? [:])")
        #expect(json?["done"] as? Int == 100)
    }
}
