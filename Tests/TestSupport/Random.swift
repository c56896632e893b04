/// The tests' one pseudo-random generator (xorshift64): deterministic for a seed, so a failure
/// reproduces, and fast enough for hundreds of MiB of test data.
public struct XorShift64: Sendable {
    private var state: UInt64

    /// Any seed works (0 included: the low bit is forced on, xorshift's state must not be 0).
    public init(seed: UInt64) { state = seed | 1 }

    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// `count` bytes, one per step (the low byte of each state).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: next()) }
        return out
    }
}

/// `count` deterministic pseudo-random (incompressible) bytes for `seed`.
public func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var g = XorShift64(seed: seed)
    return g.bytes(count)
}
