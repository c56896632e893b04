import SnapshotCore

extension ChunkCodec {
    /// The compression levels chainsnap accepts for chunks: zstd 1-19 (20-22 need far more
    /// memory to decompress), lz4 0-12 (0 is the fast mode, above it LZ4HC).
    public var levels: ClosedRange<Int> {
        switch self {
        case .zstd: 1...19
        case .lz4: 0...12
        }
    }

    /// The level used when none is given: zstd 3 (its own default), lz4 0 (fast).
    public var defaultLevel: Int {
        switch self {
        case .zstd: 3
        case .lz4: 0
        }
    }
}

extension ChunkCodec {
    /// The level to compress at: `level`, or `defaultLevel` when none is given. A level outside
    /// `levels` is an `.invalidArgument` error naming both codecs' ranges.
    public func checkedLevel(_ level: Int?) throws -> Int {
        let l = level ?? defaultLevel
        guard levels.contains(l) else {
            throw ChainsnapError(.invalidArgument, "--level \(l) is out of range for \(rawValue): zstd takes 1-19, lz4 0-12")
        }
        return l
    }
}
