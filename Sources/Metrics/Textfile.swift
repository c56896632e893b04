import LocalFS
import SnapshotCore

/// node-exporter's textfile collector format: a `.prom` file in its `--collector.textfile.directory`,
/// replaced in one rename (a temp file in the same folder, named `.tmp-…`, which the collector
/// ignores), so a scrape never reads half a file.
public enum Textfile {
    /// The largest previous file read back (a textfile is a few KiB).
    public static let maxReadBytes = 1 << 20

    /// Writes `text` to `path` atomically.
    public static func write(_ path: String, _ text: String) throws {
        let dir = FS.parent(of: path)
        guard FS.isDirectory(dir) else {
            throw ChainsnapError(.notFound, "the folder of --metrics-file '\(path)' does not exist", object: dir,
                                 hint: "point --metrics-file into node-exporter's textfile directory (mounted into this pod)")
        }
        try FS.writeAtomically(path, bytes: Array(text.utf8), mode: 0o644, durable: false)
    }

    /// The current content of `path`, nil when missing, unreadable or larger than `maxReadBytes`.
    public static func read(_ path: String) -> String? {
        guard let st = FS.lstatus(path), Int(st.st_size) <= maxReadBytes, let b = try? FS.readFile(path) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
}
