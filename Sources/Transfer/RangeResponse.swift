/// A parsed `Content-Range: bytes FIRST-LAST/TOTAL` header (TOTAL may be `*`).
public struct ContentRange: Sendable, Equatable {
    public var first: Int64
    public var last: Int64
    public var total: Int64?

    public init(first: Int64, last: Int64, total: Int64?) {
        self.first = first
        self.last = last
        self.total = total
    }

    /// Parses the header value; nil when it is not a satisfied byte range.
    public init?(parsing value: String) {
        var s = Substring(value)
        while s.first == " " { s = s.dropFirst() }
        guard s.hasPrefix("bytes") else { return nil }
        s = s.dropFirst(5)
        while s.first == " " || s.first == "=" { s = s.dropFirst() }
        guard let dash = s.firstIndex(of: "-"), let slash = s.firstIndex(of: "/"), dash < slash else { return nil }
        guard let f = Int64(s[..<dash].trimmingSpaces), let l = Int64(s[s.index(after: dash)..<slash].trimmingSpaces),
              f >= 0, l >= f else { return nil }
        let t = s[s.index(after: slash)...].trimmingSpaces
        if t == "*" {
            self.init(first: f, last: l, total: nil)
        } else {
            guard let total = Int64(t), total > l else { return nil }
            self.init(first: f, last: l, total: total)
        }
    }

    public var length: Int64 { last - first + 1 }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return s
    }
}

/// How to turn a successful response into exactly the bytes that were asked for.
///
/// A pure decision from the request's range and the response's status and headers,
/// so the odd servers (Range ignored, a different range returned) are tested without a network.
public enum BodyPlan: Sendable, Equatable {
    /// Keep the body as it comes; it must be `length` bytes long when known.
    case whole(length: Int64?)
    /// The server sent the whole object (`200`) to a Range request: drop the first `skip`
    /// bytes, keep the next `take` (nil = to the end), then stop the transfer.
    case slice(skip: Int64, take: Int64?)
    /// The response cannot give the requested bytes; never pass it on.
    case reject(reason: String)

    /// - Parameters:
    ///   - requested: the byte range asked for (nil = whole object).
    ///   - status: the final HTTP status (2xx).
    ///   - contentRange: the `Content-Range` header, if any.
    ///   - contentLength: the `Content-Length` header, if any.
    public static func make(requested: Range<Int64>?, status: Int, contentRange: String?,
                            contentLength: Int64?) -> BodyPlan {
        guard let r = requested else {
            if status == 206 {
                // Whole object asked, part returned: only fine if the part is the whole object.
                if let cr = contentRange.flatMap(ContentRange.init(parsing:)), cr.first == 0, let t = cr.total, cr.last == t - 1 {
                    return .whole(length: t)
                }
                return .reject(reason: "the server answered a plain GET with a partial body (206)")
            }
            return .whole(length: contentLength)
        }
        if r.isEmpty { return .whole(length: 0) }
        switch status {
        case 206:
            guard let crText = contentRange else {
                // Some servers omit Content-Range; accept only a body of exactly the requested length.
                if let cl = contentLength, cl == Int64(r.count) { return .whole(length: cl) }
                return .reject(reason: "206 response without a Content-Range header")
            }
            guard let cr = ContentRange(parsing: crText) else {
                return .reject(reason: "unreadable Content-Range '\(crText)'")
            }
            guard cr.first == r.lowerBound else {
                return .reject(reason: "asked for bytes from \(r.lowerBound), the server sent bytes \(cr.first)-\(cr.last)")
            }
            let wantLast = r.upperBound - 1
            if cr.last > wantLast {
                // More than asked (a server rounding ranges up): keep the requested part.
                return .slice(skip: 0, take: Int64(r.count))
            }
            if cr.last < wantLast {
                // Fewer bytes only when the object ends there (a range past the end is clamped).
                guard let t = cr.total, cr.last == t - 1 else {
                    return .reject(reason: "asked for bytes \(r.lowerBound)-\(wantLast), the server sent \(cr.first)-\(cr.last)")
                }
            }
            if let cl = contentLength, cl > cr.length {
                return .reject(reason: "Content-Length \(cl) does not match Content-Range \(crText)")
            }
            // A Content-Length below the range's length is a short body: it fails the length check (and is retried).
            return .whole(length: cr.length)
        case 200:
            if let cl = contentLength {
                if r.lowerBound >= cl {
                    return .reject(reason: "range starts at \(r.lowerBound), past the end of the \(cl)-byte object")
                }
                return .slice(skip: r.lowerBound, take: min(Int64(r.count), cl - r.lowerBound))
            }
            return .slice(skip: r.lowerBound, take: Int64(r.count))
        default:
            return .reject(reason: "unexpected status \(status) for a ranged GET")
        }
    }
}

/// Splits objects into ranges for parallel download.
public enum RangePlanner {
    /// Consecutive ranges of at most `partSize` bytes covering `0..<size` (one empty range for an empty object).
    public static func split(size: Int64, partSize: Int64) -> [Range<Int64>] {
        precondition(partSize > 0, "partSize must be positive")
        if size <= 0 { return [0..<0] }
        var out: [Range<Int64>] = []
        out.reserveCapacity(Int((size + partSize - 1) / partSize))
        var start: Int64 = 0
        while start < size {
            let end = min(size, start + partSize)
            out.append(start..<end)
            start = end
        }
        return out
    }
}
