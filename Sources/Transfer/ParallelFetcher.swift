import Foundation
import SnapshotCore

/// The parallel downloader: many GETs (whole objects or ranges) in flight over libcurl's
/// multi interface, bodies handed to worker threads while downloads continue.
///
/// One thread drives `curl_multi_poll`; connections are reused across requests (HTTP/1.1
/// keep-alive, HTTP/2 when offered over TLS). Memory held by bodies being downloaded
/// or waiting for a worker stays within `TransferOptions.memoryLimit`. Transient faults
/// (resets, stalls, 5xx, 429, 503 SlowDown) are retried with backoff; throttling also lowers
/// the number of requests in flight for a while. Every body handed to `consume` is exactly the
/// bytes requested: short bodies are retried, servers ignoring Range are sliced, responses
/// for another range are rejected, and an object whose ETag changes between its ranges fails.
public struct ParallelFetcher: Sendable {
    public let options: TransferOptions

    public init(options: TransferOptions = TransferOptions()) {
        self.options = options
    }

    /// Fetches every request and calls `consume` with each complete body, on worker threads
    /// (several at once, in no particular order; requests are started in the order given).
    /// The first error thrown by `consume`, or a fetch that cannot succeed, stops the rest
    /// and is rethrown. Task cancellation stops it too.
    @discardableResult
    public func fetchAll(_ requests: [TransferRequest],
                         consume: @escaping @Sendable (TransferRequest, [UInt8]) throws -> Void) async throws -> TransferSummary {
        if requests.isEmpty { return TransferSummary() }
        try CurlGlobal.require()
        let run = FetchRun(requests: requests, options: options, consume: consume)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                run.start(cont)
            }
        } onCancel: {
            run.cancel()
        }
        return run.summary
    }
}

/// What one `fetchAll` did, for summaries, logs and tests.
public struct TransferSummary: Sendable, Equatable {
    /// Requests completed and bytes handed to `consume`.
    public var requests = 0
    public var bytes: Int64 = 0
    /// Attempts that failed and were retried.
    public var retries = 0
    /// Throttling answers (429 / 503 SlowDown) received.
    public var throttled = 0
    /// The lowest number of requests allowed in flight (below `connections` after throttling).
    public var lowestConcurrency = 0
    /// The most memory reserved at once (bytes in flight plus bodies waiting for or in a worker).
    public var peakReservedBytes: Int64 = 0
    /// Responses that came over HTTP/2.
    public var http2Responses = 0
    /// New connections opened (the rest of the requests reused one).
    public var connectionsOpened = 0
    /// Responses to Range requests that came back whole (200) and were sliced.
    public var rangeIgnored = 0
    /// Wall-clock seconds from the start of `fetchAll` until its last worker finished.
    public var seconds: Double = 0

    public init() {}

    /// Adds what a later `fetchAll` did (one restore's batches reported as one).
    public mutating func add(_ o: TransferSummary) {
        requests += o.requests
        bytes += o.bytes
        retries += o.retries
        throttled += o.throttled
        lowestConcurrency = lowestConcurrency == 0 ? o.lowestConcurrency : o.lowestConcurrency == 0 ? lowestConcurrency : min(lowestConcurrency, o.lowestConcurrency)
        peakReservedBytes = max(peakReservedBytes, o.peakReservedBytes)
        http2Responses += o.http2Responses
        connectionsOpened += o.connectionsOpened
        rangeIgnored += o.rangeIgnored
        seconds += o.seconds
    }
}
