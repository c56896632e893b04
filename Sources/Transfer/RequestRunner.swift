import SnapshotCore

/// Sends single requests (HEAD, PUT, DELETE, listings) with the same retry policy as the
/// parallel downloader: each attempt is prepared and signed afresh, transient failures and
/// retryable statuses are retried with backoff, and the final response is returned (statuses
/// are the caller's to interpret, e.g. through `HTTPFailure.error`).
public struct RequestRunner: Sendable {
    public var retry: RetryPolicy
    public var caFile: String?
    /// Seconds before one attempt gives up (0 = no limit).
    public var timeout: Double
    public var signer: RequestSigner?
    public var log: (@Sendable (String) -> Void)?

    public init(retry: RetryPolicy = RetryPolicy(), caFile: String? = nil, timeout: Double = 300,
                signer: RequestSigner? = nil, log: (@Sendable (String) -> Void)? = nil) {
        self.retry = retry
        self.caFile = caFile
        self.timeout = timeout
        self.signer = signer
        self.log = log
    }

    /// Sends `method url` with `headers` and `body`; `payloadHash` is the body's SHA-256 hex for signers.
    public func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                     payloadHash: String? = nil) async throws -> HTTPResponse {
        var failed = 0
        while true {
            try Task.checkCancellation()
            var prepared = PreparedRequest(method: method, url: url, headers: headers, payloadHash: payloadHash)
            try signer?(&prepared)
            let request = HTTPRequest(method: method, url: prepared.url, headers: prepared.headers, body: body,
                                      timeout: timeout, caFile: caFile)
            let kind: FailureKind
            var retryAfter: Double?
            var lastError: ChainsnapError?
            var response: HTTPResponse?
            do {
                let r = try await HTTPClient().send(request)
                if (200..<400).contains(r.status) { return r }
                kind = HTTPFailure.classify(status: r.status)
                retryAfter = r.headers["retry-after"].flatMap { Double($0) }
                response = r
            } catch let e as ChainsnapError where e.isRetryable {
                kind = .connection
                lastError = e
            }
            failed += 1
            switch retry.decide(kind, failedAttempts: failed, retryAfter: retryAfter, random: Double.random(in: 0..<1)) {
            case .giveUp:
                if let response { return response }
                var e = lastError!
                if failed > 1 { e.message += " (gave up after \(failed) attempts)" }
                throw e
            case .retry(let delay):
                let why = response.map { "HTTP \($0.status)" } ?? lastError?.message ?? "error"
                log?("retrying \(method) \(Redact.url(url)) in \(String(format: "%.2f", delay)) s (attempt \(failed + 1) of \(retry.maxAttempts)): \(why)")
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
    }
}
