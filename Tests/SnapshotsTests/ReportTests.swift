import Foundation
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

@Suite("Command reports") struct ReportTests {
    static func manifest(source: SourceInfo = SourceInfo()) -> Manifest {
        Manifest(id: "20261201T000000Z-aaaaaaaa", createdAt: "2026-12-01T00:00:00Z", tool: "chainsnap 0.1.0", source: source,
                 chunkSize: 4 << 20, compression: "zstd", chunks: [], entries: [],
                 totals: Totals(files: 3, dirs: 2, symlinks: 1, bytes: 3 << 20, storedBytes: 1 << 20, newBytes: 1 << 20))
    }

    @Test("snapshot create's summary: totals, written, reused, zero regions only when skipped, time")
    func createReport() {
        var s = CreateSummary(id: "snap", manifest: Self.manifest(), newChunks: 2, newStoredBytes: 1 << 20, newRawBytes: 2 << 20,
                              reusedChunks: 1, reusedRawBytes: 1 << 20, zeroBytes: 0, seconds: 2, warnings: [])
        #expect(s.report == """
            snapshot snap: 3 files, 2 folders, 1 symlinks, 3.0 MiB
              wrote 2 new chunks: 2.0 MiB raw as 1.0 MiB stored
              reused 1 chunks already in the store: 1.0 MiB
              took 2s (1.6 MB/s)

            """)
        s.zeroBytes = 4096
        #expect(s.report.contains("1.0 MiB\n  skipped 4.0 KiB of all-zero regions\n  took"))
        #expect(s.jsonReport.files == 3 && s.jsonReport.newRawBytes == 2 << 20 && s.jsonReport.id == "snap")
    }

    @Test("snapshot restore's line names only what happened; an already restored target has none")
    func restoreReport() {
        var s = RestoreSummary(snapshot: "snap", target: "/t")
        s.files = 4
        s.treeBytes = 1 << 20
        s.fetchedChunks = 2
        s.fetchedBytes = 512 << 10
        s.seconds = 3
        #expect(s.report == "restored snapshot snap into /t: 4 files, 1.0 MiB; fetched 2 chunks (512.0 KiB) in 3s")
        s.resumedChunks = 1
        s.reusedChunks = 5
        s.reusedBytes = 1 << 20
        s.retries = 2
        s.throttled = 1
        #expect(s.report == "restored snapshot snap into /t: 4 files, 1.0 MiB; fetched 2 chunks (512.0 KiB), 1 chunks kept from the interrupted run, reused 5 chunks (1.0 MiB) from the existing target, 2 downloads retried (1 throttling answers) in 3s")
        s.alreadyRestored = true
        #expect(s.report == nil)
    }

    @Test("snapshot verify: ok lines, and BROKEN lines with one example of each problem")
    func verifyLines() {
        let good = SnapshotCheck(id: "a", ok: true, chunks: 7)
        var bad = SnapshotCheck(id: "b", ok: false, chunks: 7)
        bad.missing = ["c1", "c2"]
        bad.corrupt = ["c3"]
        #expect(good.line(deep: false) == "a: ok (7 chunks)")
        #expect(good.line(deep: true) == "a: ok (7 chunks, all hashed)")
        #expect(bad.line(deep: true) == "b: BROKEN: 2 chunks missing (e.g. c1); 1 chunks corrupt (e.g. c3)")
        #expect(VerifyReport(deep: false, snapshots: [good]).ok)
        #expect(!VerifyReport(deep: false, snapshots: [good, bad]).ok)
    }

    @Test("snapshot list: a table line with the metadata, a BROKEN line redacted, JSON of a broken row holds id and error only")
    func listing() throws {
        let src = SourceInfo(network: "mainnet", height: 42, blockHash: "0x0123456789abcdef", labels: ["z": "1", "a": "2"])
        let row = SnapshotListing.Row(id: "snap", manifest: Self.manifest(source: src))
        #expect(row.tableLine == SnapshotListing.pad("snap", 27) + SnapshotListing.pad("2026-12-01T00:00:00Z", 22)
            + SnapshotListing.pad("3.0 MiB", 12) + SnapshotListing.pad("1.0 MiB", 12) + SnapshotListing.pad("3", 7)
            + "network=mainnet height=42 hash=0x0123456789… a=2 z=1")
        let broken = SnapshotListing.Row(id: "bad", broken: ChainsnapError(.corrupt, "manifest is corrupt\nsecond line"))
        #expect(broken.tableLine == SnapshotListing.pad("bad", 27) + "BROKEN: manifest is corrupt second line")
        let json = String(decoding: try JSONEncoder().encode(broken.json), as: UTF8.self)
        #expect(json == #"{"id":"bad","error":"manifest is corrupt\nsecond line"}"# || json == #"{"error":"manifest is corrupt\nsecond line","id":"bad"}"#)
        #expect(SnapshotListing(rows: [row]).brokenWarning == nil)
        #expect(SnapshotListing(rows: [row, broken]).brokenWarning?.hasPrefix("1 snapshot manifest(s) cannot be read") == true)
        #expect(SnapshotListing.pad("exactly-four", 4) == "exactly-four ")
    }

    @Test("a store with a corrupt manifest lists it as BROKEN beside the readable ones")
    func loadWithCorruptManifest() async throws {
        let (f, s) = try await Fixture.oneFile()
        try await f.store.put(SnapshotLayout.manifestKey("20200101T000000Z-00000000"), bytes: [1, 2, 3])
        let listing = try await SnapshotListing.load(SnapshotCatalog(store: f.store))
        #expect(listing.rows.map(\.id).sorted() == ["20200101T000000Z-00000000", s.id])
        #expect(listing.brokenCount == 1)
        #expect(listing.rows.first { $0.id == s.id }?.files == 1)
    }

    /// `snapshot list` (and the exporter) keep no entries, but still read every one: a manifest
    /// whose entry has a field of the wrong type is BROKEN, as when its entries were kept.
    @Test("a manifest with a bad entry is BROKEN though list keeps no entries")
    func listChecksEntriesItDoesNotKeep() async throws {
        let (f, s) = try await Fixture.oneFile()
        let catalog = SnapshotCatalog(store: f.store)
        let kept = try await catalog.load(s.id)
        let summary = try await catalog.load(s.id, entries: .checkOnly)
        #expect(summary.entries.count == 0 && kept.entries.count > 0, "entries are read, none is kept")
        #expect(summary.totals == kept.totals && summary.chunks == kept.chunks && summary.source == kept.source)

        var named = false
        let bad = try await f.tamperJSON(s.id) { json in
            named = json.contains("\"path\":\"a.txt\"")
            return json.replacingOccurrences(of: "\"path\":\"a.txt\"", with: "\"path\":7")
        }
        try #require(named, "the manifest's text names a.txt")
        let listing = try await SnapshotListing.load(catalog)
        let row = try #require(listing.rows.first { $0.id == bad })
        #expect(row.error?.contains("path") == true, "\(row)")
        #expect(listing.brokenCount == 1 && listing.rows.first { $0.id == s.id }?.files == 1)
    }
}
