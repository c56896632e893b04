import Codecs
import RestoreCore
import SnapshotCore

/// Checks a manifest before a restore touches anything: every path stays inside the target,
/// symlinks do not point out, no entry takes a name the target reserves, modes are permission
/// bits, extents add up to file sizes (without overflowing) and name chunks the manifest lists.
enum ManifestValidator {
    static func validate(_ m: Manifest) throws {
        var checker = try Checker(m)
        for (i, e) in m.entries.enumerated() {
            if checker.needsEarlierPaths(e) { checker.seen = Set(m.entries[..<i].map(\.path)) }
            try checker.check(e)
        }
    }

    /// The checks of one manifest, fed its entries in order (`snapshot verify` feeds them as they
    /// are read, holding none). Sorted entries need no memory of earlier paths; the first entry out
    /// of order (another writer) needs the set of every earlier path, which the caller supplies.
    struct Checker {
        let id: String
        let chunkSizes: [String: Int64]
        var dirs: Set<String> = [""]
        var previous: String?
        var seen: Set<String>?
        var treeBytes: Int64 = 0

        /// Checks the version and the chunk table.
        init(_ m: Manifest) throws {
            try m.checkVersion()
            try self.init(id: m.id, chunks: m.chunks)
        }

        /// Checks the chunk table of manifest `id` (its version is checked by whoever read it).
        init(id: String, chunks: [ChunkInfo]) throws {
            self.id = id
            var chunkSizes: [String: Int64] = [:]
            chunkSizes.reserveCapacity(chunks.count)
            for c in chunks {
                guard Hex.isSHA256(c.id) else {
                    throw ChainsnapError(.corrupt, "manifest \(id) lists a malformed chunk id '\(c.id)'")
                }
                guard c.size > 0, c.size <= 256 << 20, c.stored > 0 else {
                    throw ChainsnapError(.corrupt, "manifest \(id) gives chunk \(c.id) an impossible size (\(c.size) raw, \(c.stored) stored)")
                }
                guard c.codec == "zstd" || c.codec == "lz4" else {
                    throw ChainsnapError(.unsupportedFormat, "chunk \(c.id) uses codec '\(c.codec)', which this chainsnap does not read",
                                         hint: "upgrade chainsnap")
                }
                chunkSizes[c.id] = c.size
            }
            self.chunkSizes = chunkSizes
        }

        /// True when `e` is the first entry out of path order: set `seen` to every earlier path before `check(e)`.
        func needsEarlierPaths(_ e: Entry) -> Bool {
            guard seen == nil, let p = previous else { return false }
            return !p.utf8.lexicographicallyPrecedes(e.path.utf8)
        }

        mutating func check(_ e: Entry) throws {
            try PathRules.checkEntryPath(e.path)
            // The target's own bookkeeping lives at its top level; an entry there would collide with it.
            if ReservedNames.all.contains(e.path) {
                throw ChainsnapError(.unsafePath, "manifest \(id) lists '\(e.path)', a name chainsnap reserves at the top of a restore target",
                                     object: e.path, hint: "the manifest is malicious or corrupt; nothing was written to the target")
            }
            guard e.mode & ~0o7777 == 0 else {
                throw ChainsnapError(.corrupt, "'\(e.path)' has mode \(e.mode) (0o\(String(e.mode, radix: 8))) in manifest \(id): only permission bits (0…0o7777) are allowed",
                                     object: e.path, hint: "the manifest is corrupt; restore another snapshot")
            }
            guard previous != e.path, seen?.insert(e.path).inserted ?? true else {
                throw ChainsnapError(.corrupt, "manifest \(id) lists '\(e.path)' twice")
            }
            previous = e.path
            let parent = e.path.contains("/") ? String(e.path[..<e.path.lastIndex(of: "/")!]) : ""
            guard dirs.contains(parent) else {
                throw ChainsnapError(.unsafePath, "manifest \(id): '\(e.path)' is not inside a folder the manifest lists (its parent may be a symlink)",
                                     object: e.path, hint: "the manifest is malicious or corrupt; nothing was written to the target")
            }
            switch e.type {
            case .dir:
                dirs.insert(e.path)
            case .symlink:
                guard let t = e.target else { throw ChainsnapError(.corrupt, "symlink '\(e.path)' has no target in manifest \(id)") }
                try PathRules.checkSymlink(linkPath: e.path, target: t)
            case .file:
                guard e.size >= 0 else { throw ChainsnapError(.corrupt, "file '\(e.path)' has a negative size in manifest \(id)") }
                var total: Int64 = 0
                for x in e.extents ?? [] {
                    guard x.length > 0, x.offset >= 0 else {
                        throw ChainsnapError(.corrupt, "file '\(e.path)' has an empty or negative extent in manifest \(id)")
                    }
                    if let c = x.chunk {
                        guard let size = chunkSizes[c] else {
                            throw ChainsnapError(.corrupt, "file '\(e.path)' refers to chunk \(c), which manifest \(id) does not list")
                        }
                        // offset + length may overflow Int64 when both are huge: compare without adding.
                        guard x.offset <= size, x.length <= size - x.offset else {
                            throw ChainsnapError(.corrupt, "file '\(e.path)' reads past the end of chunk \(c) in manifest \(id)")
                        }
                    }
                    let (sum, overflow) = total.addingReportingOverflow(x.length)
                    guard !overflow else {
                        throw ChainsnapError(.corrupt, "file '\(e.path)' has extents whose lengths add up past 2^63 bytes in manifest \(id)",
                                             object: e.path, hint: "the manifest is corrupt or hostile; restore another snapshot")
                    }
                    total = sum
                }
                guard total == e.size else {
                    throw ChainsnapError(.corrupt, "file '\(e.path)' is \(e.size) bytes but its extents cover \(total) in manifest \(id)",
                                         object: e.path, hint: "the manifest is corrupt; restore another snapshot")
                }
                let (all, overflow) = treeBytes.addingReportingOverflow(total)
                guard !overflow else {
                    throw ChainsnapError(.corrupt, "the files of manifest \(id) add up past 2^63 bytes",
                                         hint: "the manifest is corrupt or hostile; restore another snapshot")
                }
                treeBytes = all
            }
        }
    }
}
