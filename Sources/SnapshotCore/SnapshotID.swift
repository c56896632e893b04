/// Snapshot ids sort by creation time: `20261123T232819Z-1a2b3c4d`.
public enum SnapshotID {
    /// Builds an id from a UTC timestamp (`YYYYMMDDTHHMMSSZ`) and a random suffix.
    public static func make(compactUTC: String, random: UInt32) -> String {
        let hex = String(random, radix: 16)
        return compactUTC + "-" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// An id that sorts after `last`, so `latest` is always the newest even for two snapshots
    /// made within one second (or on a host whose clock is behind the previous writer's).
    public static func next(after last: String?, compactUTC: String, random: UInt32) -> String {
        let fresh = make(compactUTC: compactUTC, random: random)
        guard let last, isValid(last), last >= fresh else { return fresh }
        let prefix = String(last.prefix(16))
        let suffix = UInt32(last.suffix(8), radix: 16) ?? 0
        let room = UInt32.max - suffix
        guard room > 0 else { return make(compactUTC: prefix, random: suffix) }
        return make(compactUTC: prefix, random: suffix + 1 + random % min(room, 1 << 16))
    }

    /// Whether `text` looks like an id (used to reject stray keys in a store listing).
    public static func isValid(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 25, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z"), u[16] == UInt8(ascii: "-") else { return false }
        return u.enumerated().allSatisfy { i, c in
            i == 8 || i == 15 || i == 16 || (c >= 48 && c <= 57) || (i > 16 && c >= 97 && c <= 102)
        }
    }
}
