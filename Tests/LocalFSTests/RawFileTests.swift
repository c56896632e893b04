#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LocalFS
import TestSupport
import Testing

@Suite struct RawFileTests {
    @Test("preallocate reserves blocks for a range, keeping the length, the contents and the holes elsewhere")
    func preallocate() throws {
        let tmp = TempDir("rawfile")
        let path = tmp.sub("f")
        let f = try RawFile(writingAt: path, mode: 0o600)
        try f.setLength(64 << 20)
        try f.write(Array("head".utf8), at: 0)
        func blocks() -> Int64 {
            var st = stat()
            return stat(path, &st) == 0 ? Int64(st.st_blocks) * 512 : -1
        }
        let before = blocks()
        guard try f.preallocate(0..<(8 << 20)) else { try Test.cancel("the file system under \(tmp.path) has no fallocate") }
        #expect(blocks() - before >= (8 << 20) - 4096, "8 MiB of blocks reserved")
        #expect(blocks() < 32 << 20, "the rest of the 64 MiB file is still a hole")
        #expect(try f.size() == 64 << 20)
        #expect(try Array(FS.readFile(path).prefix(6)) == Array("head".utf8) + [0, 0])
    }
}
