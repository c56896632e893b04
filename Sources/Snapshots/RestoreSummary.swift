/// What `snapshot restore` did.
public struct RestoreSummary: Sendable, Codable {
    public var snapshot: String
    public var target: String
    public var alreadyRestored = false
    public var resumed = false
    /// Chunks a previous, interrupted run had finished (not fetched again).
    public var resumedChunks = 0
    public var fetchedChunks = 0
    /// Stored (compressed) bytes downloaded.
    public var fetchedBytes: Int64 = 0
    /// Bytes taken from the existing target instead of the store (`--reuse-existing`).
    public var reusedBytes: Int64 = 0
    public var reusedChunks = 0
    /// Bytes of file content in the restored tree.
    public var treeBytes: Int64 = 0
    public var files = 0
    /// Downloads that failed and were retried, and throttling answers (429 / 503 SlowDown) met.
    public var retries = 0
    public var throttled = 0
    public var seconds: Double = 0
}
