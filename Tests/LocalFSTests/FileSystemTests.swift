#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LocalFS
import SnapshotCore
import TestSupport
import Testing

@Suite struct FileSystemTests {
    @Test("errors that are answers are not errors: an existing folder, a missing file to remove, a path not there")
    func tolerated() throws {
        let tmp = TempDir("fs")
        let dir = tmp.sub("d")
        try FS.makeDirectory(dir)
        try FS.makeDirectory(dir)
        #expect(FS.isDirectory(dir))
        try FS.remove(tmp.sub("missing"))
        #expect(try FS.lstatusIfPresent(tmp.sub("missing")) == nil)
        #expect(try FS.statusIfPresent(tmp.sub("missing/below")) == nil)
        #expect(FS.modificationTime(tmp.sub("missing")) == nil)
        try FS.removeTree(tmp.sub("missing"))
    }

    @Test("other failures carry the call, the path and the errno's hint")
    func failures() throws {
        let tmp = TempDir("fs")
        let e = try #require(throws: ChainsnapError.self) { try RawFile(readingAt: tmp.sub("nope")) }
        #expect(e.code == .notFound)
        #expect(e.message == "open '\(tmp.sub("nope"))' failed: No such file or directory")
        let file = tmp.sub("f")
        try FS.writeAtomically(file, bytes: [1])
        let below = try #require(throws: ChainsnapError.self) { try FS.makeDirectory(file + "/sub") }
        #expect(below.message.hasPrefix("mkdir '\(file)/sub' failed"))
    }

    @Test("a symlink replaces what was there; its target reads back; times and modes apply without following it")
    func symlinksTimesModes() throws {
        let tmp = TempDir("fs")
        let link = tmp.sub("l")
        try FS.writeAtomically(link, bytes: Array("old".utf8))
        try FS.makeSymlink(link, target: "elsewhere/x")
        #expect(try FS.readLink(link) == "elsewhere/x")
        try FS.setModificationTime(link, nanoseconds: 1_600_000_000_123_456_789)
        let st = try #require(FS.lstatus(link))
        #expect(st.st_mtim.tv_sec == 1_600_000_000)
        #expect(st.st_mtim.tv_nsec == 123_456_789)

        let file = tmp.sub("f")
        try FS.writeAtomically(file, bytes: [1, 2, 3])
        try FS.setMode(file, 0o640)
        #expect(try #require(FS.lstatus(file)).st_mode & 0o777 == 0o640)
        #expect(try FS.readFile(file) == [1, 2, 3])
    }

    @Test("appends land at the end in one write each")
    func append() throws {
        let tmp = TempDir("fs")
        let path = tmp.sub("journal")
        do {
            let f = try RawFile(appendingAt: path)
            for line in ["a\n", "bc\n"] {
                var s = line
                try s.withUTF8 { try f.append(UnsafeRawBufferPointer($0)) }
            }
        }
        let again = try RawFile(appendingAt: path)
        try [UInt8]("d\n".utf8).withUnsafeBytes { try again.append($0) }
        #expect(try FS.readFile(path) == Array("a\nbc\nd\n".utf8))
    }
}
