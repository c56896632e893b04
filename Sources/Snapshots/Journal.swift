import Codecs
import Foundation
import LocalFS
import SnapshotCore

/// The list of finished chunks of a restore, one id per line, appended as chunks complete.
/// A killed restore reads it back and does not fetch those chunks again.
final class Journal: Sendable {
    let path: String
    /// The finished chunks' ids (32 bytes each, not a 112-byte string: a resumed restore of
    /// 500,000 chunks holds 16 MB here, not 70).
    let completed: Set<ChunkDigest>
    /// The journal was last written before the machine booted (a crash or power loss since).
    let predatesBoot: Bool
    private let file: RawFile

    init(path: String) throws {
        self.path = path
        var done: Set<ChunkDigest> = []
        if let bytes = try? FS.readFile(path) {
            for line in bytes.split(separator: 10) where line.count == 64 {
                if let d = ChunkDigest(hex: line) { done.insert(d) }
            }
        }
        completed = done
        predatesBoot = FS.modificationTime(path).map { $0 < Journal.bootTime() } ?? false
        file = try RawFile(appendingAt: path, mode: 0o600)
    }

    /// When the machine booted (seconds since the epoch), from /proc/stat; 0 if unknown.
    static func bootTime() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// Appends one line in a single write(2), so concurrent writers never interleave.
    func record(_ id: String) throws {
        var line = id + "\n"
        try line.withUTF8 { try file.append(UnsafeRawBufferPointer($0)) }
    }
}
