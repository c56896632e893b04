#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import RestoreCore
import SnapshotCore

/// Walks a data folder and lists its entries (files, folders, symlinks) in path order.
///
/// Manifest paths are JSON strings, so a name (or symlink target) that is not UTF-8 cannot be
/// recorded faithfully: the scan refuses it, naming the path with the bad bytes escaped, rather
/// than store a different name (docs/FORMAT.md, "Names").
struct TreeScanner {
    let root: String
    var warnings: [String] = []

    init(root: String) { self.root = root }

    /// Walks the tree; `each` is called with the table after every file appended (its index),
    /// so `snapshot create` plans and reads files while the walk goes on.
    mutating func scan(each: (EntryTable, Int) throws -> Void = { _, _ in }) throws -> EntryTable {
        guard FS.isDirectory(root) else {
            throw ChainsnapError(.notFound, "'\(root)' is not a folder", object: root,
                                 hint: "pass the node's data folder (e.g. /data/db)")
        }
        var out = EntryTable()
        try walk(dir: root, rel: "", into: &out, each: each)
        // The walk emits path order (see `walk`), and callers hold indices into it: never re-sorted.
        guard Self.isSortedByPath(out) else {
            throw ChainsnapError(.io, "the scan of '\(root)' did not come out in path order", object: root,
                                 hint: "this is a bug in chainsnap; please report it with the folder's layout. Nothing was published")
        }
        return out
    }

    /// Whether every path is before the next, by bytes (the manifest's order).
    static func isSortedByPath(_ t: EntryTable) -> Bool {
        guard t.count > 1 else { return true }
        for i in 1..<t.count {
            let before = t.withPathBytes(at: i - 1) { a in t.withPathBytes(at: i) { b in a.lexicographicallyPrecedes(b) } }
            if !before { return false }
        }
        return true
    }

    /// Appends the folder's entries in the byte order of their full paths, so no sort of the whole
    /// table is needed (at a million files that sort held a second copy of every record).
    /// Names are sorted in each folder; a folder's own entry sorts by its name, its contents as
    /// if by its name and a `/`: "a" < "a.b" < "a/x", as the full paths compare.
    private mutating func walk(dir: String, rel: String, into out: inout EntryTable, each: (EntryTable, Int) throws -> Void) throws {
        var items: [Item] = []
        try FS.forEachInDirectory(Array(dir.utf8)) { raw, status in
            if rel.isEmpty, let name = PathRules.utf8String(raw), ReservedNames.all.contains(name) { return }
            guard let st = status else { return }  // removed while we walked
            let item = Item(name: raw, mode: UInt32(st.st_mode),
                            mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                            size: Int64(st.st_size), subtree: false)
            items.append(item)
            if st.st_mode & S_IFMT == S_IFDIR { items.append(Item(name: raw, mode: item.mode, mtimeNs: 0, size: 0, subtree: true)) }
        }
        items.sort(by: Item.precedes)
        for item in items {
            guard let name = PathRules.utf8String(item.name) else {
                let shown = (rel.isEmpty ? "" : PathRules.display(rel) + "/") + PathRules.display(item.name)
                throw ChainsnapError(.unsupportedFormat, "'\(shown)' has a name that is not UTF-8, which a snapshot manifest cannot record",
                                     object: PathRules.display(root) + "/" + shown,
                                     hint: "rename it to a UTF-8 name (e.g. convmv -f <its encoding> -t utf8) or move it out of the data folder, then snapshot again; nothing was published")
            }
            let relPath = rel.isEmpty ? name : rel + "/" + name
            let full = dir + "/" + name
            if item.subtree {
                try walk(dir: full, rel: relPath, into: &out, each: each)
                continue
            }
            let mode = item.mode & 0o7777
            switch mode_t(item.mode) & S_IFMT {
            case S_IFDIR:
                out.append(Entry(path: relPath, type: .dir, mode: mode, mtimeNs: item.mtimeNs))
            case S_IFREG:
                out.append(Entry(path: relPath, type: .file, mode: mode, mtimeNs: item.mtimeNs, size: item.size))
                try each(out, out.count - 1)
            case S_IFLNK:
                let target = try readLink(full)
                do { try PathRules.checkSymlink(linkPath: relPath, target: target) } catch let e as ChainsnapError {
                    throw ChainsnapError(.unsafePath, "symlink '\(relPath)' -> '\(target)' cannot be restored safely: \(e.message)",
                                         object: full, hint: "a restore could not recreate it safely; remove or replace the link, then snapshot again")
                }
                out.append(Entry(path: relPath, type: .symlink, mode: mode, mtimeNs: item.mtimeNs, target: target))
            default:
                warnings.append("skipped '\(relPath)': not a file, folder or symlink (socket, fifo or device)")
            }
        }
    }

    /// One name of a folder being walked: its `lstat` fields, or (`subtree`) the place of a
    /// folder's contents, which sort as the folder's name followed by `/`.
    struct Item {
        var name: [UInt8]
        var mode: UInt32
        var mtimeNs: Int64
        var size: Int64
        var subtree: Bool

        /// Byte order of `name` (plus a `/` for a subtree): the order of the full paths below.
        static func precedes(_ a: Item, _ b: Item) -> Bool {
            a.name.withUnsafeBufferPointer { x in
                b.name.withUnsafeBufferPointer { y in
                    let la = x.count + (a.subtree ? 1 : 0), lb = y.count + (b.subtree ? 1 : 0)
                    for k in 0..<min(la, lb) {
                        let ca = k < x.count ? x[k] : 0x2F, cb = k < y.count ? y[k] : 0x2F
                        if ca != cb { return ca < cb }
                    }
                    return la < lb
                }
            }
        }
    }

    private func readLink(_ path: String) throws -> String {
        let bytes = try FS.readLinkBytes(path)
        guard let target = PathRules.utf8String(bytes) else {
            throw ChainsnapError(.unsupportedFormat, "symlink '\(PathRules.display(path))' has a target that is not UTF-8 ('\(PathRules.display(bytes))'), which a snapshot manifest cannot record",
                                 object: PathRules.display(path), hint: "point the link at a UTF-8 name, then snapshot again; nothing was published")
        }
        return target
    }
}
