/// The request line of an HTTP/1.x request, parsed from the bytes read so far. Pure: the
/// server feeds it what it has read and stops reading at `maxBytes`.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The most a request head may take (request line and headers); more is refused with 431.
    public static let maxBytes = 8192

    public var method: String
    /// The path without its query string.
    public var path: String
    public var version: String

    public init(method: String, path: String, version: String) {
        self.method = method
        self.path = path
        self.version = version
    }

    public enum Parse: Sendable, Equatable {
        /// The head is not complete yet: read more.
        case incomplete
        /// Not HTTP/1.x, or over `maxBytes`: answer with `status` and close.
        case bad(status: Int)
        case ok(HTTPRequestHead)
    }

    /// Parses `bytes` (everything read from the connection so far).
    public static func parse(_ bytes: [UInt8]) -> Parse {
        guard let end = headEnd(bytes) else {
            return bytes.count >= maxBytes ? .bad(status: 431) : .incomplete
        }
        if end > maxBytes { return .bad(status: 431) }
        let lineEnd = bytes.firstIndex(of: 13) ?? end
        let parts = bytes[..<lineEnd].split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .bad(status: 400) }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return .bad(status: 505) }
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }), target.hasPrefix("/") else { return .bad(status: 400) }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        return .ok(HTTPRequestHead(method: method, path: path, version: version))
    }

    /// The index just past the blank line ending the head, if it has been read.
    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 3..<b.count where b[i] == 10 && b[i - 1] == 13 && b[i - 2] == 10 && b[i - 3] == 13 { return i + 1 }
        return nil
    }
}

/// A complete response: status, content type, body. Always sent with `Connection: close`.
public struct HTTPReply: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String
    public var allow: String?

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String, allow: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.allow = allow
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 431: "Request Header Fields Too Large"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }

    /// The bytes on the wire; a HEAD request gets the headers only.
    public func encoded(head: Bool = false) -> [UInt8] {
        let body = Array(self.body.utf8)
        var h = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        if let allow { h += "Allow: \(allow)\r\n" }
        h += "Connection: close\r\n\r\n"
        return Array(h.utf8) + (head ? [] : body)
    }
}
