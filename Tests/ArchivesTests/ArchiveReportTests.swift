@testable import Archives
import Foundation
import SnapshotCore
import Testing

@Suite struct ArchiveReportTests {
    @Test("--max-tar-header: from one block up to a quarter of the memory limit")
    func maxTarHeader() throws {
        #expect(try ArchiveRestore.Options.maxTarHeaderBytes("512", memoryLimit: 16 << 20) == 512)
        #expect(try ArchiveRestore.Options.maxTarHeaderBytes("4MiB", memoryLimit: 16 << 20) == 4 << 20)
        for text in ["511", "5MiB"] {
            let e = #expect(throws: ChainsnapError.self) { try ArchiveRestore.Options.maxTarHeaderBytes(text, memoryLimit: 16 << 20) }
            #expect(e?.message == "--max-tar-header \(text) must be between 512 bytes and a quarter of --memory-limit (4.0 MiB)")
            #expect(e?.hint == "raise --memory-limit too for headers this large")
        }
        #expect(throws: ChainsnapError.self) { try ArchiveRestore.Options.maxTarHeaderBytes("big", memoryLimit: 16 << 20) }
    }

    @Test("an archive restore's JSON says kind archive and carries the tree's counts")
    func json() throws {
        var stats = TarExtractionStats()
        stats.files = 3
        stats.fileBytes = 99
        let s = ArchiveRestore.Summary(source: "https://h/a.tar.zst", target: "/t", format: .tarZstd, archiveBytes: 10, sha256: nil,
                                       stats: stats, seconds: 1, alreadyRestored: false)
        let obj = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s.jsonReport)) as? [String: Any]
        #expect(obj?["kind"] as? String == "archive")
        #expect(obj?["files"] as? Int == 3)
        #expect(obj?["treeBytes"] as? Int == 99)
        #expect(obj?["sha256"] == nil)
    }
}
