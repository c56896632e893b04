#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import RestoreCore
import SnapshotCore

/// Walks a data folder and lists its entries (files, folders, symlinks) in path order.
struct TreeScanner {
    let root: String
    var warnings: [String] = []

    init(root: String) { self.root = root }

    mutating func scan() throws -> [Entry] {
        guard FS.isDirectory(root) else {
            throw ChainsnapError(.notFound, "'\(root)' is not a folder", object: root,
                                 hint: "pass the node's data folder (e.g. /data/db)")
        }
        var out: [Entry] = []
        try walk(dir: root, rel: "", into: &out)
        out.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return out
    }

    private mutating func walk(dir: String, rel: String, into out: inout [Entry]) throws {
        for name in try FS.listDirectory(dir) {
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
                let target = try FS.readLink(full)
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
}
