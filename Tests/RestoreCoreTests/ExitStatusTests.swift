import RestoreCore
import SnapshotCore
import Testing

@Suite struct ExitStatusTests {
    @Test("3 for a refused non-empty target, 75 for a busy one, 1 for everything else")
    func statuses() {
        #expect(ChainsnapError(.targetNotEmpty, "x").exitStatus == 3)
        #expect(ChainsnapError(.targetBusy, "x").exitStatus == 75)
        for code in [ChainsnapError.Code.io, .notFound, .corrupt, .invalidArgument, .chainMismatch] {
            #expect(ChainsnapError(code, "x").exitStatus == 1)
        }
    }
}
