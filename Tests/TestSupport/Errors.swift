import SnapshotCore

/// The `ChainsnapError` that `work` threw, or nil if it did not throw (another error type
/// comes back as an `.io` error naming it, so assertions on the code fail readably).
public func chainsnapError(_ work: () async throws -> Void) async -> ChainsnapError? {
    do {
        try await work()
        return nil
    } catch let e as ChainsnapError {
        return e
    } catch {
        return ChainsnapError(.io, "unexpected error type: \(error)")
    }
}
