internal import CCurl
import Foundation
import Dispatch
import SnapshotCore

/// One HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Seconds before the whole request gives up (0 = no limit).
    public var timeout: Double
    /// Extra CA bundle to trust (private CAs, test CAs).
    public var caFile: String?
    /// Stop reading a body larger than this (the request then fails); nil = no limit.
    public var maxBodyBytes: Int? = nil
    /// Client certificate/key, in-memory CA, verification switch (Kubernetes API servers).
    public var tls: HTTPTLS? = nil

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                timeout: Double = 60, caFile: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.caFile = caFile
    }
}

/// One HTTP response: status, headers (names lowercased) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Initialises libcurl once per process (curl_global_init is not thread-safe).
enum CurlGlobal {
    static let ready: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()
}

/// Funnels CURLcode into ChainsnapError; connection-level failures are retryable.
func curlError(_ code: CURLcode, url: String, detail: String = "") -> ChainsnapError {
    let text = String(cString: curl_easy_strerror(code))
    let retryable: Bool
    switch code {
    case CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
         CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_COULDNT_RESOLVE_HOST:
        retryable = true
    default:
        retryable = false
    }
    var hint: String? = nil
    if code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE {
        hint = "the server's TLS certificate is not trusted; pass --ca-file with your CA bundle"
    } else if code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST {
        hint = "check the URL and that the server is reachable from here"
    }
    return ChainsnapError(.network, "request to \(Redact.url(url)) failed: \(text)\(detail.isEmpty ? "" : " (\(detail))")",
                          object: Redact.url(url), hint: hint, retryable: retryable)
}

/// Removes credentials from URLs before they reach logs or errors.
public enum Redact {
    /// Drops user:password, and replaces query values of signature/credential parameters with `REDACTED`.
    public static func url(_ url: String) -> String {
        var s = url
        if let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") {
            let hostStart = s.index(colon, offsetBy: 3)
            let afterScheme = s[hostStart...]
            let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            if let at = afterScheme[..<hostEnd].lastIndex(of: "@") {
                s = String(s[..<hostStart]) + String(s[s.index(after: at)...])
            }
        }
        guard let q = s.firstIndex(of: "?") else { return s }
        let base = s[..<q]
        let params = s[s.index(after: q)...].split(separator: "&").map { p -> String in
            let kv = p.split(separator: "=", maxSplits: 1)
            let k = kv.first.map(String.init) ?? ""
            let lower = k.lowercased()
            if lower.contains("signature") || lower.contains("credential") || lower.contains("token")
                || lower.contains("secret") || lower == "x-amz-security-token" {
                return k + "=REDACTED"
            }
            return String(p)
        }
        return base + "?" + params.joined(separator: "&")
    }
}

/// A simple one-request-at-a-time HTTP client on curl's easy interface.
/// Used for JSON-RPC and control requests; bulk data goes through the parallel downloader.
public struct HTTPClient: Sendable {
    public init() {}

    /// Performs the request on a background thread; network errors throw, HTTP statuses do not.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async {
                cont.resume(with: Result { try Self.perform(request) })
            }
        }
    }

    /// Blocking variant.
    public static func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = CurlGlobal.ready
        guard let h = EasyHandlePool.shared.checkout() else { throw ChainsnapError(.network, "curl_easy_init failed") }
        var reusable = false
        defer {
            if reusable { EasyHandlePool.shared.checkin(h) } else { curl_easy_cleanup(h) }
        }
        let sink = ResponseSink()
        sink.limit = request.maxBodyBytes
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (k, v) in request.headers { headerList = curl_slist_append(headerList, "\(k): \(v)") }
        // Suppress curl's automatic "Expect: 100-continue" round trip on uploads.
        headerList = curl_slist_append(headerList, "Expect:")

        _ = ccurl_easy_setopt_string(h, CURLOPT_URL, request.url)
        _ = ccurl_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { _ = ccurl_easy_setopt_long(h, CURLOPT_NOBODY, 1) }
        _ = ccurl_easy_setopt_slist(h, CURLOPT_HTTPHEADER, headerList)
        _ = ccurl_easy_setopt_write_cb(h, CURLOPT_WRITEFUNCTION, { ptr, size, n, ud in
            let s = Unmanaged<ResponseSink>.fromOpaque(ud!).takeUnretainedValue()
            if let limit = s.limit, s.body.count + size * n > limit { return 0 }
            s.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: size * n))
            return size * n
        })
        _ = ccurl_easy_setopt_ptr(h, CURLOPT_WRITEDATA, ctx)
        _ = ccurl_easy_setopt_write_cb(h, CURLOPT_HEADERFUNCTION, { ptr, size, n, ud in
            let s = Unmanaged<ResponseSink>.fromOpaque(ud!).takeUnretainedValue()
            s.addHeaderLine(UnsafeRawBufferPointer(start: ptr, count: size * n))
            return size * n
        })
        _ = ccurl_easy_setopt_ptr(h, CURLOPT_HEADERDATA, ctx)
        if request.timeout > 0 { _ = ccurl_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000)) }
        _ = ccurl_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, 10_000)
        if let ca = request.caFile { _ = ccurl_easy_setopt_string(h, CURLOPT_CAINFO, ca) }
        request.tls?.apply(to: h)

        var bodyCopy = request.body ?? []
        let code: CURLcode = bodyCopy.withUnsafeMutableBytes { b in
            if request.body != nil {
                _ = ccurl_easy_setopt_ptr(h, CURLOPT_POSTFIELDS, b.baseAddress)
                _ = ccurl_easy_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count))
            }
            return curl_easy_perform(h)
        }
        if code == CURLE_WRITE_ERROR, let limit = sink.limit, sink.body.count <= limit {
            throw ChainsnapError(.http, "\(request.method) \(Redact.url(request.url)) answered with more than \(limit) bytes",
                                 object: Redact.url(request.url))
        }
        guard code == CURLE_OK else { throw curlError(code, url: request.url) }
        reusable = true
        var status: Int = 0
        _ = ccurl_easy_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Collects a response's header lines and body during one transfer.
final class ResponseSink {
    var body: [UInt8] = []
    var limit: Int?
    var headers: [String: String] = [:]

    func addHeaderLine(_ raw: UnsafeRawBufferPointer) {
        let line = String(decoding: raw, as: UTF8.self)
        if line.hasPrefix("HTTP/") { headers.removeAll(); return }  // a new response (redirect, 100-continue)
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        var value = line[line.index(after: colon)...]
        // "\r\n" is one Character in Swift, so compare by whitespace, not by "\r".
        while let f = value.first, f.isWhitespace { value = value.dropFirst() }
        while let l = value.last, l.isWhitespace { value = value.dropLast() }
        headers[name] = String(value)
    }
}

/// Idle curl easy handles kept between `HTTPClient` requests: a handle keeps its open
/// connections (and TLS sessions) after `curl_easy_reset`, so a burst of small requests
/// (HEADs, PUTs of chunks) does not pay a TCP and TLS handshake each.
final class EasyHandlePool: @unchecked Sendable {
    static let shared = EasyHandlePool(maxIdle: 32)

    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let maxIdle: Int

    init(maxIdle: Int) { self.maxIdle = maxIdle }

    /// A reset idle handle, or a new one.
    func checkout() -> UnsafeMutableRawPointer? {
        _ = CurlGlobal.ready
        lock.lock()
        let h = idle.popLast()
        lock.unlock()
        if let h {
            curl_easy_reset(h)
            return h
        }
        return curl_easy_init()
    }

    /// Returns a handle after a completed request.
    func checkin(_ h: UnsafeMutableRawPointer) {
        lock.lock()
        if idle.count < maxIdle {
            idle.append(h)
            lock.unlock()
        } else {
            lock.unlock()
            curl_easy_cleanup(h)
        }
    }
}
