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
