import Foundation
import LocalFS
import TestSupport
import Testing

/// Folder listings read each `readdir` name in place (`FS.dirName`). Copying a whole `struct dirent`
/// (280 bytes) could read past the end of glibc's buffer, whose entries are packed by `d_reclen`:
/// `snapshot verify` of a file:// store with 2,048 chunks per folder once crashed with SIGSEGV.
/// Whether the old copy faults depends on where the heap ends, so this test does not reproduce the
/// crash (the old code passes it); it checks that the in-place read lists every name of every length.
@Suite struct DirectoryListingTests {
    @Test("folders of thousands of names of every length list whole, as String and as bytes")
    func largeFolders() throws {
        let tmp = TempDir("listing")
        for (n, count) in [(1, 10), (64, 2_048), (0, 5_000)] {
            let dir = tmp.sub("d\(n)-\(count)")
            try FS.makeDirectory(dir)
            var names: Set<String> = []
            for i in 0..<count {
                // n == 0: lengths cycle 1...255 so entries end at every offset of the buffer.
                let len = n == 0 ? 1 + i % 255 : n
                let base = String(i, radix: 36)
                let name = String((base + String(repeating: "x", count: max(0, len - base.count))).prefix(max(len, base.count)))
                guard names.insert(name).inserted else { continue }
                #expect(FileManager.default.createFile(atPath: dir + "/" + name, contents: nil))
            }
            let listed = try FS.listDirectory(dir)
            #expect(listed.count == names.count && Set(listed) == names, "\(dir): \(listed.count) of \(names.count)")
            let bytes = try FS.listDirectoryBytes(Array(dir.utf8))
            #expect(Set(bytes.map { String(decoding: $0, as: UTF8.self) }) == names)
        }
    }
}
