import Foundation
import LocalFS
import RestoreCore
import Testing
import Codecs
import SnapshotCore
@testable import Snapshots
import Stores
import TestSupport

/// Hostile manifests (issue 10, items 3, 4, 5, 9) and signed snapshots.
@Suite struct ManifestHardeningTests {
    func prepared() async throws -> (Fixture, String, String) {
        let f = Fixture()
        try Trees.makeSample(at: f.src, largeFileSize: 300_000)
        let s = try await f.create(chunkSize: 256 << 10)
        return (f, s.id, f.tmp.sub("target"))
    }

    @Test(arguments: [ReservedNames.staging, ReservedNames.marker])
    func reservedTopLevelNamesAreRefusedAndTheTargetIsNotStuck(name: String) async throws {
        let (f, id, target) = try await prepared()
        let bad = try await f.tamper(id) { m in
            m.entries.insert(Entry(path: name, type: .dir, mode: 0o755, mtimeNs: 0), at: 0)
        }
        await expectFailure("reserves at the top of a restore target") { _ = try await f.restore(target, snapshot: bad) }
        // The target is still usable: the good snapshot restores without --force or cleanup.
        _ = try await f.restore(target, snapshot: id)
        #expect(try Trees.describe(target) == Trees.describe(f.src))
    }

    @Test func reservedNamesDeeperDownAreOrdinaryContent() async throws {
        let (f, id, target) = try await prepared()
        let ok = try await f.tamper(id) { m in
            m.entries.append(Entry(path: "zz", type: .dir, mode: 0o755, mtimeNs: 0))
            m.entries.append(Entry(path: "zz/" + ReservedNames.staging, type: .dir, mode: 0o755, mtimeNs: 0))
        }
        _ = try await f.restore(target, snapshot: ok)
        #expect(FileManager.default.fileExists(atPath: target + "/zz/" + ReservedNames.staging))
    }

    @Test func extentOffsetNearInt64MaxIsAnErrorNotATrap() async throws {
        let (f, id, target) = try await prepared()
        let bad = try await f.tamper(id) { m in
            let i = m.entries.firstIndex { $0.type == .file && ($0.extents?.first?.chunk != nil) }!
            m.entries[i].extents![0].offset = Int64.max - 10
        }
        await expectFailure("reads past the end of chunk") { _ = try await f.restore(target, snapshot: bad) }
    }

    @Test func extentLengthsSummingPastInt64MaxAreAnErrorNotATrap() async throws {
        let (f, id, target) = try await prepared()
        let half = Int64.max / 2 + 1
        let bad = try await f.tamper(id) { m in
            m.entries.append(Entry(path: "zz-sparse", type: .file, mode: 0o644, mtimeNs: 0, size: 10,
                                   extents: [Extent(chunk: nil, offset: 0, length: half), Extent(chunk: nil, offset: 0, length: half)]))
        }
        await expectFailure("past 2^63") { _ = try await f.restore(target, snapshot: bad) }
        let many = try await f.tamper(id) { m in
            for i in 0..<3 {
                m.entries.append(Entry(path: "zz-\(i)", type: .file, mode: 0o644, mtimeNs: 0, size: Int64.max / 3 + 1,
                                       extents: [Extent(chunk: nil, offset: 0, length: Int64.max / 3 + 1)]))
            }
        }
        await expectFailure("add up past 2^63") { _ = try await f.restore(target, snapshot: many) }
    }

    @Test func aModeBeyondPermissionBitsIsReportedPrecisely() async throws {
        let (f, id, target) = try await prepared()
        let bad = try await f.tamper(id) { m in m.entries[0].mode = 0o100644 }
        await expectFailure("only permission bits") { _ = try await f.restore(target, snapshot: bad) }
    }

    @Test(arguments: ["-1", "4294967296", "99999999999999999999"])
    func aNegativeOrHugeModeNamesTheField(mode: String) async throws {
        let (f, id, target) = try await prepared()
        let bad = try await f.tamperJSON(id) { json in
            json.replacingOccurrences(of: #""mode":"#, with: #""mode":\#(mode),"was":"#, options: [], range: json.range(of: #""mode":"#))
        }
        let e = await expectFailure("entries[0].mode") { _ = try await f.restore(target, snapshot: bad) }
        #expect(e?.description.contains("correct format") == false)
    }

    @Test func aManifestDeclaringTwoGiBIsRefusedWithoutAllocatingIt() async throws {
        let (f, _, _) = try await prepared()
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        for i in 0..<8 { frame.append(UInt8(truncatingIfNeeded: UInt64((1 << 31) - 1) >> (8 * UInt64(i)))) }
        frame += [0x01, 0x00, 0x00]
        let before = peakRSS()
        #expect {
            _ = try SnapshotLayout.decode(frame, id: "20990101T000000Z-00000001")
        } throws: { e in "\(e)".contains("declares 2147483647 bytes") }
        #expect(peakRSS() - before < 512 << 20, "decoding must not allocate the declared size")
        _ = f
    }
}

/// Peak resident set size of this process, in bytes.
func peakRSS() -> Int {
    var u = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &u)
    return u.ru_maxrss * 1024
}
