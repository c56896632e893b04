import SnapshotCore

extension CreateSummary {
    /// The lines `snapshot create` writes to stderr: what the snapshot holds, what was written
    /// and reused, all-zero regions skipped (when any) and the time taken, each line ending in a newline.
    public var report: String {
        let t = manifest.totals
        var s = "snapshot \(id): \(t.files) files, \(t.dirs) folders, \(t.symlinks) symlinks, \(ByteCount.format(t.bytes))\n"
        s += "  wrote \(newChunks) new chunks: \(ByteCount.format(newRawBytes)) raw as \(ByteCount.format(newStoredBytes)) stored\n"
        s += "  reused \(reusedChunks) chunks already in the store: \(ByteCount.format(reusedRawBytes))"
        if zeroBytes > 0 { s += "\n  skipped \(ByteCount.format(zeroBytes)) of all-zero regions" }
        s += "\n  took \(formatDuration(seconds)) (\(ByteCount.formatRate(Double(t.bytes) / max(seconds, 0.001))))\n"
        return s
    }

    /// The summary as `snapshot create --json` prints it.
    public var jsonReport: JSONReport {
        let t = manifest.totals
        return JSONReport(id: id, files: t.files, dirs: t.dirs, symlinks: t.symlinks, bytes: t.bytes, newChunks: newChunks,
                          newRawBytes: newRawBytes, newStoredBytes: newStoredBytes, reusedChunks: reusedChunks,
                          reusedRawBytes: reusedRawBytes, seconds: seconds)
    }

    /// `snapshot create --json`: one object with the snapshot's id, totals and what was written.
    public struct JSONReport: Encodable, Sendable, Equatable {
        public var id: String, files: Int, dirs: Int, symlinks: Int, bytes: Int64
        public var newChunks: Int, newRawBytes: Int64, newStoredBytes: Int64, reusedChunks: Int, reusedRawBytes: Int64, seconds: Double
    }
}

extension RestoreSummary {
    /// Whether `--reuse-existing` took any chunk from the existing target.
    public var reuseExistingUsed: Bool { reusedChunks > 0 }

    /// The line `snapshot restore` writes to stderr after a restore that did something (nil when
    /// the marker showed it was already done): the tree, what was fetched, kept and reused.
    public var report: String? {
        if alreadyRestored { return nil }
        var line = "restored snapshot \(snapshot) into \(target): \(files) files, \(ByteCount.format(treeBytes))"
        line += "; fetched \(fetchedChunks) chunks (\(ByteCount.format(fetchedBytes)))"
        if resumedChunks > 0 { line += ", \(resumedChunks) chunks kept from the interrupted run" }
        if reuseExistingUsed { line += ", reused \(reusedChunks) chunks (\(ByteCount.format(reusedBytes))) from the existing target" }
        if retries > 0 { line += ", \(retries) downloads retried" }
        if throttled > 0 { line += " (\(throttled) throttling answers)" }
        return line + " in \(formatDuration(seconds))"
    }
}
