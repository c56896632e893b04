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

    mutating func scan() throws -> EntryTable {
        guard FS.isDirectory(root) else {
            throw ChainsnapError(.notFound, "'\(root)' is not a folder", object: root,
                                 hint: "pass the node's data folder (e.g. /data/db)")
        }
        var out = EntryTable()
        try walk(dir: root, rel: "", into: &out)
        out.sortByPath()
        return out
    }

    private mutating func walk(dir: String, rel: String, into out: inout EntryTable) throws {
        for raw in try FS.listDirectoryBytes(Array(dir.utf8)) {
            guard let name = PathRules.utf8String(raw) else {
                let shown = (rel.isEmpty ? "" : PathRules.display(rel) + "/") + PathRules.display(raw)
                throw ChainsnapError(.unsupportedFormat, "'\(shown)' has a name that is not UTF-8, which a snapshot manifest cannot record",
                                     object: PathRules.display(root) + "/" + shown,
                                     hint: "rename it to a UTF-8 name (e.g. convmv -f <its encoding> -t utf8) or move it out of the data folder, then snapshot again; nothing was published")
            }
            if rel.isEmpty && ReservedNames.all.contains(name) { continue }
            let relPath = rel.isEmpty ? name : rel + "/" + name
            let full = dir + "/" + name
            guard let st = try FS.lstatusIfPresent(full) else { continue }  // removed while we walked
            let mode = UInt32(st.st_mode) & 0o7777
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                out.append(Entry(path: relPath, type: .dir, mode: mode, mtimeNs: mtime))
                try walk(dir: full, rel: relPath, into: &out)
            case S_IFREG:
                out.append(Entry(path: relPath, type: .file, mode: mode, mtimeNs: mtime, size: Int64(st.st_size)))
            case S_IFLNK:
                let target = try readLink(full)
                do { try PathRules.checkSymlink(linkPath: relPath, target: target) } catch let e as ChainsnapError {
                    throw ChainsnapError(.unsafePath, "symlink '\(relPath)' -> '\(target)' cannot be restored safely: \(e.message)",
                                         object: full, hint: "a restore could not recreate it safely; remove or replace the link, then snapshot again")
                }
                out.append(Entry(path: relPath, type: .symlink, mode: mode, mtimeNs: mtime, target: target))
            default:
                warnings.append("skipped '\(relPath)': not a file, folder or symlink (socket, fifo or device)")
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
