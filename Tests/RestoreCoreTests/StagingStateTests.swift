import Foundation
import LocalFS
@testable import RestoreCore
import SnapshotCore
import TestSupport
import Testing

@Suite struct StagingStateTests {
    @Test("state files written when the phase was a string still decode, and encode the same way")
    func phaseRawValues() throws {
        for (raw, phase) in [("writing", StagingPhase.writing), ("moving", .moving)] {
            let json = #"{"identity":"snap-1","replaceExisting":true,"phase":"\#(raw)"}"#
            let s = try JSONDecoder().decode(StagingState.self, from: Data(json.utf8))
            #expect(s == StagingState(identity: "snap-1", replaceExisting: true, phase: phase))
            let back = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any]
            #expect(back?["phase"] as? String == raw)
        }
    }

    @Test("an interrupted restore in phase moving is resumed as such; another identity is refused")
    func resumeMoving() throws {
        let tmp = TempDir("staging")
        let target = try RestoreTarget(path: tmp.sub("t"))
        try target.beginStaging(identity: "a", replaceExisting: false)
        #expect(try target.plan(identity: "a", force: false, log: { _ in }) == .resume(phase: .writing, replaceExisting: false))
        // What a kill during the final move leaves (written as the old string form).
        try FS.writeAtomically(target.stagingRoot + "/state.json",
                               bytes: Array(#"{"identity":"a","replaceExisting":false,"phase":"moving"}"#.utf8))
        #expect(try target.plan(identity: "a", force: false, log: { _ in }) == .resume(phase: .moving, replaceExisting: false))
        #expect(throws: ChainsnapError.self) { try target.plan(identity: "b", force: true, log: { _ in }) }
    }
}
