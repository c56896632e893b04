import Foundation
import Codecs
import SnapshotCore
import Stores

/// Options of `snapshot create`.
public struct CreateOptions: Sendable {
    public var codec: ChunkCodec = .zstd
    public var level: Int = 3
    public var chunkSize: Int64 = 4 << 20
    public var source = SourceInfo()
    /// Chunks prepared at once (bounds memory: about 2 × chunkSize each).
    public var parallel: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)
    public var progressInterval: Double? = nil
    public var quiet = false
    /// Reuse the extents of large files whose path, size and mtime match the newest snapshot.
    public var reuseUnchanged = true
    /// Store files that changed while read, and again when re-read, as read (with a warning)
    /// instead of failing (`ChangingFiles.swift`).
    public var allowChanging = false
    /// Seconds to wait for a `snapshot prune` that is deleting chunks (`PruneRecord`).
    public var pruneWait: Double = 1800
    /// Seconds between looks at a prune record while waiting.
    public var prunePoll: Double = 1
    /// Where notices go (the wait for a prune); nil for stderr.
    public var log: (@Sendable (String) -> Void)? = nil
    /// When set, the manifest is signed with this key (`--signing-key`; docs/FORMAT.md, "Signatures").
    public var signingKey: SigningKey? = nil

    public init() {}

    /// Files smaller than this are packed together with their neighbours.
    var packThreshold: Int64 { max(1, chunkSize / 4) }
}

/// What `snapshot create` did.
public struct CreateSummary: Sendable {
    public var id: String
    public var manifest: Manifest
    public var newChunks: Int
    public var newStoredBytes: Int64
    public var newRawBytes: Int64
    public var reusedChunks: Int
    public var reusedRawBytes: Int64
    public var zeroBytes: Int64
    public var seconds: Double
    public var warnings: [String]
}
