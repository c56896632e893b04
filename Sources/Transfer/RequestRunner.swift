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
    /// Shared bound on concurrent requests, lowered on throttling (nil = unbounded).
    public var gate: RequestGate?

    public init(retry: RetryPolicy = RetryPolicy(), caFile: String? = nil, timeout: Double = 300,
                signer: RequestSigner? = nil, log: (@Sendable (String) -> Void)? = nil, gate: RequestGate? = nil) {
        self.retry = retry
        self.caFile = caFile
        self.timeout = timeout
        self.signer = signer
        self.log = log
        self.gate = gate
    }

    /// One attempt's result: a response to return, or a failure to retry or report.
    private enum Attempt {
        case done(HTTPResponse)
        case failed(FailureKind, response: HTTPResponse?, error: ChainsnapError?, retryAfter: Double?)
    }

    /// Sends one attempt, holding a slot of the gate (if any) while it runs.
    private func attempt(_ request: HTTPRequest) async throws -> Attempt {
        if let gate { await gate.acquire() }
        let outcome: Attempt
        do {
            let r = try await HTTPClient().send(request)
            if (200..<400).contains(r.status) {
                outcome = .done(r)
            } else {
                outcome = .failed(HTTPFailure.classify(status: r.status), response: r, error: nil,
                                  retryAfter: r.headers["retry-after"].flatMap { Double($0) })
            }
        } catch let e as ChainsnapError where e.isRetryable {
            outcome = .failed(.connection, response: nil, error: e, retryAfter: nil)
        } catch {
            gate?.release(throttled: false)
            throw error
        }
        if let gate {
            if case .failed(let kind, _, _, _) = outcome {
                gate.release(throttled: kind.lowersConcurrency)
            } else {
                gate.release(throttled: false)
            }
        }
        return outcome
    }

    /// Sends `method url` with `headers` and `body`; `payloadHash` is the body's SHA-256 hex for signers.
    /// - Parameter maxBodyBytes: fail instead of reading a larger response body (nil = no limit).
    public func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                     payloadHash: String? = nil, maxBodyBytes: Int? = nil) async throws -> HTTPResponse {
        var failed = 0
        while true {
            try Task.checkCancellation()
            var prepared = PreparedRequest(method: method, url: url, headers: headers, payloadHash: payloadHash)
            try signer?(&prepared)
            var request = HTTPRequest(method: method, url: prepared.url, headers: prepared.headers, body: body,
                                      timeout: timeout, caFile: caFile)
            request.maxBodyBytes = maxBodyBytes
            let result = try await attempt(request)
            guard case .failed(let kind, let response, let lastError, let retryAfter) = result else {
                if case .done(let r) = result { return r }
                continue
            }
            failed += 1
            switch retry.decide(kind, failedAttempts: failed, retryAfter: retryAfter, random: Double.random(in: 0..<1)) {
            case .giveUp:
                if let response { return response }
                var e = lastError ?? ChainsnapError(.network, "\(method) \(Redact.url(url)) failed", retryable: true)
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
