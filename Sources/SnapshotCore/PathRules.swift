/// Rules that keep a restore inside its target: manifest and archive paths are
/// relative, contain no `..`, and symlinks do not point out of the tree.
public enum PathRules {
    /// Checks a relative entry path; throws `.unsafePath` with the offending path.
    public static func checkEntryPath(_ path: String) throws {
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.unsafePath, "refusing path '\(path)': \(why)", object: path,
                           hint: "the manifest or archive is malicious or corrupt; nothing was written to the target")
        }
        if path.isEmpty { throw bad("empty path") }
        if path.hasPrefix("/") { throw bad("absolute path") }
        if path.utf8.contains(0) { throw bad("NUL byte in path") }
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw bad("empty path component") }
            if part == ".." { throw bad("'..' escapes the target") }
            if part == "." { throw bad("'.' component") }
        }
    }

    /// Checks that a symlink at `linkPath` with `target` stays inside the tree once resolved.
    /// Dangling links are fine as long as they point inside.
    public static func checkSymlink(linkPath: String, target: String) throws {
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.unsafePath, "refusing symlink '\(linkPath)' -> '\(target)': \(why)", object: linkPath,
                           hint: "symlinks must be relative and stay inside the data folder")
        }
        if target.isEmpty { throw bad("empty target") }
        if target.hasPrefix("/") { throw bad("absolute target points outside the tree") }
        if target.utf8.contains(0) { throw bad("NUL byte in target") }
        var depth = linkPath.split(separator: "/").count - 1
        var named = false
        for part in target.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                // `dir/..` is only the folder it looks like when `dir` is a real folder; if `dir`
                // is (or later becomes) a symlink, `..` climbs from wherever that points.
                if named { throw bad("'..' after a named component (it may climb out through a symlink)") }
                depth -= 1
                if depth < 0 { throw bad("points outside the tree") }
            default:
                depth += 1
                named = true
            }
        }
    }

    /// Whether two relative paths are equal, or one lies inside the other (`db` and `db/x`),
    /// ignoring `.` components. Used to keep paths that may be cleared away from protected ones.
    public static func overlaps(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/").filter { $0 != "." }, y = b.split(separator: "/").filter { $0 != "." }
        let n = min(x.count, y.count)
        return Array(x.prefix(n)) == Array(y.prefix(n))
    }
}
