import Foundation
import LocalFS
import SnapshotCore
import TestSupport
import Testing

@Suite struct ExclusiveFileTests {
    @Test("a new file gets exactly the mode asked for and its bytes; an existing file is never replaced")
    func createExclusive() throws {
        let t = TempDir("excl")
        let old = umask(0o022)
        defer { umask(old) }
        try FS.createExclusive(t.sub("a"), bytes: Array("secret".utf8), mode: 0o640)
        #expect(FS.lstatus(t.sub("a")).map { $0.st_mode & 0o777 } == 0o640)
        #expect(try FS.readFile(t.sub("a")) == Array("secret".utf8))
        let e = #expect(throws: ChainsnapError.self) { try FS.createExclusive(t.sub("a"), bytes: [1], mode: 0o600) }
        #expect(e?.message.hasPrefix("cannot create '\(t.sub("a"))': File exists") == true)
        #expect(try FS.readFile(t.sub("a")) == Array("secret".utf8))
    }
}
