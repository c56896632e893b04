import Foundation

/// Log lines for pod logs: each line prefixed with an RFC 3339 UTC timestamp (milliseconds), so
/// lines from the init container, the supervisor and its children can be ordered and timed.
/// Callers stamp only when the stream is not a terminal.
public enum LogLines {
    /// `2026-12-01T11:05:00.123Z` for `date`.
    public static func timestamp(_ date: Date = Date()) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), Int(ms % 1000))
    }

    /// `text` with every non-empty line prefixed by the timestamp and a space; line ends kept.
    public static func stamped(_ text: String, at date: Date = Date()) -> String {
        let ts = timestamp(date)
        var out = ""
        var line = ""
        for ch in text {
            if ch == "\n" {
                if !line.isEmpty { out += ts + " " + line }
                out += "\n"
                line = ""
            } else {
                line.append(ch)
            }
        }
        if !line.isEmpty { out += ts + " " + line }
        return out
    }
}
