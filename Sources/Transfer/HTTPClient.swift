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
        let easy = try EasyHandlePool.shared.checkout()
        let sink = ResponseSink(limit: request.maxBodyBytes)
        // Suppress curl's automatic "Expect: 100-continue" round trip on uploads.
        try easy.setup(EasySetup(url: request.url, headers: request.headers, rawHeaderLines: ["Expect:"],
                                 caFile: request.caFile, connectTimeout: 10, timeout: request.timeout), sink: sink)
        try easy.set(CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { try easy.set(CURLOPT_NOBODY, 1) }
        try request.tls?.apply(to: easy)

        var bodyCopy = request.body ?? []
        let code: CURLcode = try bodyCopy.withUnsafeMutableBytes { b in
            if request.body != nil {
                try easy.set(CURLOPT_POSTFIELDS, pointer: b.baseAddress)
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(b.count))
            }
            return easy.perform()
        }
        if code == CURLE_WRITE_ERROR, let limit = sink.limit, sink.body.count <= limit {
            throw ChainsnapError(.http, "\(request.method) \(Redact.url(request.url)) answered with more than \(limit) bytes",
                                 object: Redact.url(request.url))
        }
        guard code == CURLE_OK else { throw CurlFailure.error(code, url: request.url) }
        let status = easy.info(CURLINFO_RESPONSE_CODE) ?? sink.head.status
        // Only a handle whose request completed goes back to the pool (a failed one is freed).
        EasyHandlePool.shared.checkin(easy)
        return HTTPResponse(status: status, headers: sink.head.headers, body: sink.body)
    }
}

/// Collects a response's header lines and body during one `HTTPClient` transfer.
final class ResponseSink: CurlSink {
    let limit: Int?
    var body: [UInt8] = []
    var head = ResponseHead()

    init(limit: Int?) { self.limit = limit }

    override func headerLine(_ raw: UnsafeRawBufferPointer) { head.add(raw) }

    override func body(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        if let limit, body.count + data.count > limit { return false }
        body.append(contentsOf: data)
        return true
    }
}
