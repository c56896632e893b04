#if canImport(Glibc)
import Glibc
#endif
import LocalFS
import SnapshotCore

/// `file:///path`: a local folder. The embedded default; needs nothing running.
///
/// Writes go to a temporary file in the destination folder and are renamed into
/// place, so readers never see a partial object. Objects of 1 MiB and more are fsynced in
/// the background; `flush()` waits for those, then makes everything else durable with one
/// `syncfs` (a snapshot of small files writes many small packs: one fsync each cost more
/// than compressing them, issue 13).
public struct FileStore: ObjectStore {
    public let root: String
    private let flusher = BackgroundFlusher()
    public var displayURL: String { "file://" + root }
    public var isWritable: Bool { true }

    public init(root: String) { self.root = root }

    func path(_ key: String) throws -> String {
        try PathRules.checkEntryPath(key)
        return root + "/" + key
    }

    public func get(_ key: String) async throws -> [UInt8] {
        let p = try path(key)
        do { return try FS.readFile(p) } catch let e as ChainsnapError where e.code == .notFound {
            throw ChainsnapError(.notFound, "object '\(key)' is missing from \(displayURL)", object: key)
        }
    }

    public func get(_ key: String, range: Range<Int64>) async throws -> [UInt8] {
        let p = try path(key)
        let f: RawFile
        do { f = try RawFile(readingAt: p) } catch let e as ChainsnapError where e.code == .notFound {
            throw ChainsnapError(.notFound, "object '\(key)' is missing from \(displayURL)", object: key)
        }
        return try f.read(count: Int(range.count), at: range.lowerBound)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let p = try path(key)
        // A folder is not an object (the `ObjectStore.head` contract): nil, as S3 answers for a prefix.
        guard let st = try FS.statusIfPresent(p), (st.st_mode & S_IFMT) != S_IFDIR else { return nil }
        return ObjectInfo(key: key, size: Int64(st.st_size), etag: nil,
                          lastModified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    /// Writes to a temporary file and renames it into place. Data reaches the disk at `flush()`,
    /// which callers run before publishing anything that refers to it (a manifest).
    public func put(_ key: String, bytes: [UInt8]) async throws {
        let p = try path(key)
        let dir = FS.parent(of: p)
        if !FS.isDirectory(dir) { try FS.makeDirectories(dir) }
        try FS.writeAtomically(p, bytes: bytes, durable: false)
        if bytes.count >= Self.backgroundSyncMin { flusher.enqueue(p) }
    }

    /// Objects at least this large are fsynced in the background as soon as they are written.
    static let backgroundSyncMin = 1 << 20

    /// Waits until every object written so far (and its folder entry) is on disk.
    public func flush() async throws {
        try flusher.wait()
        if FS.isDirectory(root) { try DirectoryHandle(root).syncFileSystem() }
    }

    public func putFile(_ key: String, path source: String) async throws {
        let p = try path(key)
        try FS.makeDirectories(FS.parent(of: p))
        let tmp = FS.parent(of: p) + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            let src = try RawFile(readingAt: source)
            let dst = try RawFile(writingAt: tmp, mode: 0o644, truncate: true)
            var off: Int64 = 0
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = try buf.withUnsafeMutableBytes { try src.read(into: $0, at: off) }
                if n == 0 { break }
                try buf.withUnsafeBytes { try dst.write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: off) }
                off += Int64(n)
            }
            try FS.rename(tmp, p)
            flusher.enqueue(p)
        } catch {
            try? FS.remove(tmp)
            throw error
        }
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        var out: [ObjectInfo] = []
        try await forEachObject(prefix: prefix) { out.append($0) }
        return out.sorted { $0.key < $1.key }
    }

    /// Walks only the folder the prefix names, filtering by the full prefix, and hands each object
    /// over as it is found (a 500,000-chunk listing is never held whole).
    public func forEachObject(prefix: String, _ body: (ObjectInfo) throws -> Void) async throws {
        let dirPart = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        let start = dirPart.isEmpty ? root : root + "/" + dirPart
        guard FS.isDirectory(start) else { return }
        try walk(start, relative: dirPart, prefix: prefix, body)
    }

    private func walk(_ dir: String, relative: String, prefix: String, _ body: (ObjectInfo) throws -> Void) throws {
        for name in try FS.listDirectory(dir) where !name.hasPrefix(".tmp-") {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = dir + "/" + name
            guard let st = FS.lstatus(full) else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if rel.hasPrefix(prefix) || prefix.hasPrefix(rel + "/") {
                    try walk(full, relative: rel, prefix: prefix, body)
                }
            } else if (st.st_mode & S_IFMT) == S_IFREG, rel.hasPrefix(prefix) {
                try body(ObjectInfo(key: rel, size: Int64(st.st_size), etag: nil,
                                    lastModified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9))
            }
        }
    }

    public func delete(_ key: String) async throws {
        let p = try path(key)
        try FS.remove(p)
    }
}

/// Opens the store a URL names.
public func openStore(_ url: String, options: StoreOptions = StoreOptions()) throws -> any ObjectStore {
    switch try StoreLocation(parsing: url) {
    case .file(let path):
        return FileStore(root: path)
    case .s3(let bucket, let prefix):
        return try StoreFactory.makeS3(bucket: bucket, prefix: prefix, options: options)
    case .http(let base):
        return try StoreFactory.makeHTTP(baseURL: base, options: options)
    }
}
