internal import CCurl
import Foundation
import SnapshotCore

/// Initialises libcurl once per process (curl_global_init is not thread-safe).
enum CurlGlobal {
    /// Whether libcurl initialised (it fails only when out of memory or its TLS library cannot start).
    static let ready: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Throws when libcurl could not initialise; every handle is made after this.
    static func require() throws {
        guard ready else {
            throw ChainsnapError(.network, "libcurl failed to initialise (curl_global_init)",
                                 hint: "check that libcurl and its TLS library (OpenSSL) are installed intact")
        }
    }
}

/// Receives what one curl transfer delivers: header lines and body pieces.
///
/// `CurlEasy.setup` hands libcurl an unretained pointer to the sink, so whoever drives the
/// transfer keeps the sink alive until it ends (both users own their sink for that long).
class CurlSink {
    /// One raw header line, CRLF included (status lines of redirects and `100 Continue` too).
    func headerLine(_ raw: UnsafeRawBufferPointer) {}
    /// One piece of the body; false stops the transfer (curl then reports `CURLE_WRITE_ERROR`).
    func body(_ data: UnsafeBufferPointer<UInt8>) -> Bool { true }
}

/// The options both the single-request client and the parallel downloader set on a handle.
struct EasySetup {
    var url: String
    /// Request headers, sent as `Name: value`.
    var headers: [(String, String)] = []
    /// Raw header lines added after `headers` (`"Expect:"` removes curl's own `Expect`).
    var rawHeaderLines: [String] = []
    var caFile: String?
    /// Seconds to establish the connection.
    var connectTimeout: Double
    /// Seconds for the whole request (0 = no limit).
    var timeout: Double = 0
    /// Follow up to 5 redirects.
    var followRedirects = false
}

/// The one owner of a libcurl easy handle and of the header list it sends.
///
/// Every option goes through a throwing `set`, so a refused option (a libcurl built without a
/// feature, out of memory) becomes an error that names it instead of a silently different
/// request. The header list lives exactly as long as the handle needs it: it is replaced by the
/// next `setup`, freed by `reset` and by `deinit`, together with the handle.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() throws {
        try CurlGlobal.require()
        guard let h = curl_easy_init() else {
            throw ChainsnapError(.network, "curl_easy_init failed (out of memory?)")
        }
        handle = h
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    /// Back to a fresh handle's options, keeping its open connections and TLS sessions.
    func reset() {
        curl_easy_reset(handle)
        curl_slist_free_all(headerList)
        headerList = nil
    }

    // MARK: options

    private func check(_ rc: CURLcode, _ option: CURLoption) throws {
        guard rc != CURLE_OK else { return }
        throw ChainsnapError(.network, "libcurl refused option \(option.rawValue): \(String(cString: curl_easy_strerror(rc)))",
                             hint: rc == CURLE_UNKNOWN_OPTION || rc == CURLE_NOT_BUILT_IN || rc == CURLE_UNSUPPORTED_PROTOCOL
                                 ? "this machine's libcurl lacks a feature the request needs (HTTP/2 needs libcurl with nghttp2); install a fuller libcurl or leave the option off"
                                 : nil)
    }

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_easy_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws {
        try check(ccurl_easy_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws {
        try check(ccurl_easy_setopt_off_t(handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws {
        try check(ccurl_easy_setopt_ptr(handle, option, value), option)
    }

    /// A `curl_blob` option (curl keeps its own copy of the bytes: CURL_BLOB_COPY).
    func set(_ option: CURLoption, blob bytes: [UInt8]) throws {
        try check(bytes.withUnsafeBytes { ccurl_easy_setopt_blob(handle, option, $0.baseAddress, $0.count) }, option)
    }

    /// Replaces the header list sent with the request (the old one is freed).
    func setHeaders(_ headers: [(String, String)], rawLines: [String] = []) throws {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in headers.map({ "\($0.0): \($0.1)" }) + rawLines {
            guard let grown = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw ChainsnapError(.network, "curl_slist_append failed (out of memory?)")
            }
            list = grown
        }
        let rc = ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        guard rc == CURLE_OK else {
            curl_slist_free_all(list)
            try check(rc, CURLOPT_HTTPHEADER)
            return
        }
        curl_slist_free_all(headerList)
        headerList = list
    }

    /// Routes header lines and body pieces to `sink` (held unretained: keep it alive).
    func setSink(_ sink: CurlSink) throws {
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        try check(ccurl_easy_setopt_write_cb(handle, CURLOPT_WRITEFUNCTION, { ptr, size, n, ud in
            let s = Unmanaged<CurlSink>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            guard let ptr, count > 0 else { return count }
            return s.body(UnsafeBufferPointer(start: UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: count))
                ? count : 0
        }), CURLOPT_WRITEFUNCTION)
        try set(CURLOPT_WRITEDATA, pointer: ctx)
        try check(ccurl_easy_setopt_write_cb(handle, CURLOPT_HEADERFUNCTION, { ptr, size, n, ud in
            let s = Unmanaged<CurlSink>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            if let ptr { s.headerLine(UnsafeRawBufferPointer(start: ptr, count: count)) }
            return count
        }), CURLOPT_HEADERFUNCTION)
        try set(CURLOPT_HEADERDATA, pointer: ctx)
    }

    /// The options every request of chainsnap sets, then the sink.
    func setup(_ s: EasySetup, sink: CurlSink) throws {
        try set(CURLOPT_URL, s.url)
        try set(CURLOPT_NOSIGNAL, 1)
        if s.followRedirects {
            try set(CURLOPT_FOLLOWLOCATION, 1)
            try set(CURLOPT_MAXREDIRS, 5)
        }
        try setHeaders(s.headers, rawLines: s.rawHeaderLines)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(s.connectTimeout * 1000))
        if s.timeout > 0 { try set(CURLOPT_TIMEOUT_MS, Int(s.timeout * 1000)) }
        if let ca = s.caFile { try set(CURLOPT_CAINFO, ca) }
        try setSink(sink)
    }

    // MARK: running and results

    /// Runs the transfer on this thread (the easy interface).
    func perform() -> CURLcode { curl_easy_perform(handle) }

    /// A numeric fact about the finished transfer; nil when this libcurl does not know it.
    func info(_ what: CURLINFO) -> Int? {
        var v = 0
        return ccurl_easy_getinfo_long(handle, what, &v) == CURLE_OK ? v : nil
    }
}

/// The status and headers of a response, built from curl's header lines.
///
/// Each status line (`HTTP/…`) starts a new response (a redirect, `100 Continue`), so only the
/// final response's headers remain. Names are lowercased; a repeated name keeps its last value.
struct ResponseHead: Equatable {
    var status = 0
    var headers: [String: String] = [:]

    mutating func add(_ raw: UnsafeRawBufferPointer) {
        add(line: String(decoding: raw, as: UTF8.self))
    }

    mutating func add(line: String) {
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1].trimmingSpaces) ?? 0 : 0
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        // "\r\n" is one Character in Swift, so trim by whitespace, not by "\r".
        headers[name] = String(line[line.index(after: colon)...].trimmingSpaces)
    }
}

/// Idle curl easy handles kept between `HTTPClient` requests: a handle keeps its open
/// connections (and TLS sessions) after `curl_easy_reset`, so a burst of small requests
/// (HEADs, PUTs of chunks) does not pay a TCP and TLS handshake each.
final class EasyHandlePool: @unchecked Sendable {
    static let shared = EasyHandlePool(maxIdle: 32)

    private let lock = NSLock()
    private var idle: [CurlEasy] = []
    private let maxIdle: Int

    init(maxIdle: Int) { self.maxIdle = maxIdle }

    /// A reset idle handle, or a new one.
    func checkout() throws -> CurlEasy {
        let h = lock.withLock { idle.popLast() }
        if let h {
            h.reset()
            return h
        }
        return try CurlEasy()
    }

    /// Returns a handle after a completed request (beyond `maxIdle` it is freed).
    func checkin(_ h: CurlEasy) {
        lock.withLock {
            if idle.count < maxIdle { idle.append(h) }
        }
    }
}
