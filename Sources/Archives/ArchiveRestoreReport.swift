import SnapshotCore

extension ArchiveRestore.Options {
    /// The `--max-tar-header SIZE` limit: at least one 512-byte block, at most a quarter of the
    /// memory budget (the header is held in memory). Anything else is an `.invalidArgument` error.
    public static func maxTarHeaderBytes(_ text: String, memoryLimit: Int64) throws -> Int64 {
        let bytes = try ByteCount.parse(text)
        guard bytes >= 512, bytes <= memoryLimit / 4 else {
            throw ChainsnapError(.invalidArgument,
                                 "--max-tar-header \(text) must be between 512 bytes and a quarter of --memory-limit (\(ByteCount.format(memoryLimit / 4)))",
                                 hint: "raise --memory-limit too for headers this large")
        }
        return bytes
    }
}

extension ArchiveRestore.Summary {
    /// `snapshot restore --json` of an archive: the summary with `kind: "archive"`.
    public struct JSONReport: Encodable, Sendable, Equatable {
        public var kind = "archive", source: String, target: String, alreadyRestored: Bool, archiveBytes: Int64
        public var files: Int, treeBytes: Int64, sha256: String?, seconds: Double
    }

    public var jsonReport: JSONReport {
        JSONReport(source: source, target: target, alreadyRestored: alreadyRestored, archiveBytes: archiveBytes,
                   files: stats.files, treeBytes: stats.fileBytes, sha256: sha256, seconds: seconds)
    }
}
