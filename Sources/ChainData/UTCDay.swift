/// Calendar dates in UTC from Unix timestamps, without Foundation (days-from-civil, proleptic Gregorian).
public enum UTCDay {
    /// `YYYY-MM-DD` of a Unix timestamp.
    public static func string(fromTimestamp t: UInt64) -> String {
        let (y, m, d) = civil(days: Int64(t / 86_400))
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// The day number (days since 1970-01-01) of a timestamp.
    public static func dayNumber(_ t: UInt64) -> Int64 { Int64(t / 86_400) }

    /// Howard Hinnant's civil_from_days.
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    private static func pad(_ v: Int64, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }
}
