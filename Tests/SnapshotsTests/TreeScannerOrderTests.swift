import Foundation
import Testing
import LocalFS
import SnapshotCore
@testable import Snapshots
import TestSupport

/// The scan emits the manifest's order (the bytes of the full paths) itself, without sorting the
/// whole table (issue 13): a folder's own entry sorts by its name, its contents as if by its name
/// and `/`, so "a" < "a.b" < "a/x" < "a0".
@Suite struct TreeScannerOrderTests {
    /// Names whose order by full path differs from a depth-first walk of sorted names: `-`, `.` and
    /// ` ` sort before `/`, `0` and letters after it; a folder and a file share a prefix; non-ASCII
    /// bytes sort after ASCII; a folder holds a name that is a prefix of its sibling's.
    static let dirs = ["a", "a/x", "a/x/deep", "a-c", "a.b.d", "ab", "é", "z", "z/z", "a b"]
    static let files = ["a.b", "a0", "a/x-", "a/x.", "a/x0", "a/x/deep/f", "a-c/y", "a.b.d/q", "ab/a", "é/ü", "Z", "z/z/z",
                        "z/za", "a b/c", " ", "~"]

    func tree() throws -> TempDir {
        let tmp = TempDir("scanorder")
        let root = tmp.sub("root")
        try FS.makeDirectories(root)
        for d in Self.dirs { try FS.makeDirectories(root + "/" + d) }
        for f in Self.files { try FS.writeAtomically(root + "/" + f, bytes: Array(f.utf8), durable: false) }
        try FS.makeSymlink(root + "/a/link", target: "x/deep/f")
        return tmp
    }

    @Test("the walk comes out in the byte order of the full paths, with nothing to sort")
    func walkIsInPathOrder() throws {
        let tmp = try tree()
        var scanner = TreeScanner(root: tmp.sub("root"))
        let t = try scanner.scan()
        let paths = t.indices.map { t.path(at: $0) }
        let expected = (Self.dirs + Self.files + ["a/link"]).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(paths == expected)
        #expect(TreeScanner.isSortedByPath(t))
        // The order is the one sortByPath gives, entry for entry (kinds, sizes and the link's target too).
        var sorted = t
        sorted.sortByPath()
        #expect(Array(sorted) == Array(t))
        #expect(t[paths.firstIndex(of: "a/link")!].target == "x/deep/f")
        #expect(t[paths.firstIndex(of: "a.b")!].size == 3)
    }

    @Test("the sortedness check sees one pair out of order, and an equal pair")
    func sortednessCheck() {
        let e = { (p: String) in Entry(path: p, type: .file, mode: 0o644, mtimeNs: 0, size: 0) }
        #expect(TreeScanner.isSortedByPath(EntryTable([e("a"), e("a.b"), e("a/x"), e("b")])))
        #expect(!TreeScanner.isSortedByPath(EntryTable([e("a"), e("a/x"), e("a.b")])))
        #expect(!TreeScanner.isSortedByPath(EntryTable([e("a"), e("a")])))
        #expect(TreeScanner.isSortedByPath(EntryTable([])))
    }

    @Test("the item order puts a folder's contents after names that continue with a byte below '/'")
    func itemOrder() {
        func item(_ s: String, subtree: Bool = false) -> TreeScanner.Item {
            TreeScanner.Item(name: Array(s.utf8), mode: 0, mtimeNs: 0, size: 0, subtree: subtree)
        }
        let p = TreeScanner.Item.precedes
        #expect(p(item("a"), item("a", subtree: true)))  // the folder, then its contents
        #expect(!p(item("a", subtree: true), item("a")))
        #expect(p(item("a.b"), item("a", subtree: true)))  // '.' < '/'
        #expect(p(item("a"), item("a.b")))
        #expect(p(item("a", subtree: true), item("a0")))  // '/' < '0'
        #expect(p(item("a", subtree: true), item("ab", subtree: true)))
        #expect(!p(item("a", subtree: true), item("a", subtree: true)))
        #expect(!p(item("b"), item("a", subtree: true)))
    }
}
