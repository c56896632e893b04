import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore
@testable import Snapshots
import Testing
import TestSupport

/// Snapshot-side halves of the archive rules (issue 15 and 10): names that are not UTF-8 are
/// refused at create, and setuid/setgid bits are recorded but never applied, as in archives.
@Suite("Snapshot names and modes")
struct SnapshotNameAndModeTests {
    @Test("snapshot create refuses a name that is not UTF-8, naming it escaped, instead of skipping it")
    func snapshotRefusesNonUTF8Names() async throws {
        let f = Fixture()
        try FS.makeDirectories(f.src + "/db")
        try Data("ok".utf8).write(to: URL(fileURLWithPath: f.src + "/db/fine.txt"))
        let bad = Array((f.src + "/db/caf").utf8) + [0xE9, 0x2E, 0x6C, 0x6F, 0x67]   // "café.log" in Latin-1
        let fd = FS.withCPath(bad) { open($0, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        #expect(fd >= 0)
        close(fd)
        await #expect {
            _ = try await f.create()
        } throws: { e in
            let text = String(describing: e)
            return text.contains("'db/caf\\xe9.log' has a name that is not UTF-8") && text.contains("convmv")
        }
        #expect(try await f.store.list(prefix: "snapshots/").isEmpty, "nothing may be published")
    }

    @Test("setuid/setgid: recorded in the manifest, not applied by a snapshot restore (one rule with archives)")
    func setIDBitsRule() async throws {
        let f = Fixture()
        try FS.makeDirectories(f.src + "/shared")
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: f.src + "/tool"))
        chmod(f.src + "/tool", 0o4755)
        chmod(f.src + "/shared", 0o3775)
        let s = try await f.create()
        #expect(s.manifest.entries.first { $0.path == "tool" }?.mode == 0o4755)
        let target = f.tmp.sub("out")
        _ = try await f.restore(target)
        var st = stat()
        #expect(stat(target + "/tool", &st) == 0 && st.st_mode & 0o7777 == 0o755)
        #expect(stat(target + "/shared", &st) == 0 && st.st_mode & 0o7777 == 0o1775)
    }
}
