import Foundation
internal import CCurl
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
        _ = CurlGlobal.ready
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
    public var seconds: Double = 0

    public init() {}
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// One `fetchAll` call: the download thread, the workers and the state they share.
final class FetchRun: @unchecked Sendable {
    let requests: [TransferRequest]
    let options: TransferOptions
    let consume: @Sendable (TransferRequest, [UInt8]) throws -> Void

    // Shared between the download thread and the workers; guarded by `cond`.
    private let cond = NSCondition()
    private var queue: [(index: Int, body: [UInt8], reserved: Int64)] = []
    private var queueHead = 0
    private var reserved: Int64 = 0
    private var peakReserved: Int64 = 0
    private var failure: (any Error)?
    private var cancelled = false
    private var loopDone = false
    private var liveWorkers = 0
    private var multi: UnsafeMutableRawPointer?
    private var continuation: CheckedContinuation<Void, any Error>?

    // Download thread only.
    private var active: [Int: Transfer] = [:]
    private var nextIndex = 0
    private var retries: [(at: Double, index: Int)] = []
    private var failedAttempts: [Int: Int] = [:]
    private var etags: [String: String] = [:]
    private var governor: ConcurrencyGovernor
    private var stats = TransferSummary()
    private let started = monotonicSeconds()

    /// The summary, complete once the run has finished.
    var summary: TransferSummary {
        cond.lock()
        defer { cond.unlock() }
        var s = stats
        s.peakReservedBytes = peakReserved
        return s
    }

    init(requests: [TransferRequest], options: TransferOptions,
         consume: @escaping @Sendable (TransferRequest, [UInt8]) throws -> Void) {
        self.requests = requests
        self.options = options
        self.consume = consume
        self.governor = ConcurrencyGovernor(maximum: options.connections)
        self.stats.lowestConcurrency = governor.limit
    }

    func start(_ cont: CheckedContinuation<Void, any Error>) {
        guard let m = options.pool?.checkout() ?? curl_multi_init() else {
            cont.resume(throwing: ChainsnapError(.network, "curl_multi_init failed (out of memory?)"))
            return
        }
        let n = options.connections
        _ = ccurl_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, n)
        _ = ccurl_multi_setopt_long(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, n)
        _ = ccurl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, n * 2)
        _ = ccurl_multi_setopt_long(m, CURLMOPT_PIPELINING, options.multiplex ? Int(CURLPIPE_MULTIPLEX) : Int(CURLPIPE_NOTHING))
        cond.lock()
        multi = m
        continuation = cont
        liveWorkers = options.workers
        cond.unlock()
        for i in 0..<options.workers {
            let t = Thread { [self] in workerLoop() }
            t.name = "chainsnap-worker-\(i)"
            t.start()
        }
        let loop = Thread { [self] in downloadLoop() }
        loop.name = "chainsnap-download"
        loop.stackSize = 1 << 20
        loop.start()
    }

    func cancel() {
        cond.lock()
        cancelled = true
        if let m = multi { curl_multi_wakeup(m) }
        cond.broadcast()
        cond.unlock()
    }

    private func fail(_ error: any Error) {
        cond.lock()
        if failure == nil { failure = error }
        if let m = multi { curl_multi_wakeup(m) }
        cond.broadcast()
        cond.unlock()
    }

    // MARK: memory budget

    private func reserve(_ size: Int64) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        if reserved == 0 || reserved + size <= options.memoryLimit {
            reserved += size
            peakReserved = max(peakReserved, reserved)
            return true
        }
        return false
    }

    private func release(_ size: Int64) {
        cond.lock()
        reserved -= size
        if let m = multi { curl_multi_wakeup(m) }
        cond.unlock()
    }

    /// Moves a reservation from its estimate to the size now known.
    func adjustReservation(_ t: Transfer, to size: Int64) {
        guard size != t.reservation else { return }
        cond.lock()
        reserved += size - t.reservation
        peakReserved = max(peakReserved, reserved)
        cond.unlock()
        t.reservation = size
    }

    private func enqueue(index: Int, body: [UInt8], reserved: Int64) {
        cond.lock()
        queue.append((index, body, reserved))
        cond.signal()
        cond.unlock()
    }

    // MARK: workers

    private func workerLoop() {
        while true {
            cond.lock()
            while queueHead == queue.count && !loopDone { cond.wait() }
            if queueHead == queue.count {
                liveWorkers -= 1
                cond.broadcast()
                cond.unlock()
                return
            }
            let item = queue[queueHead]
            queue[queueHead].body = []
            queueHead += 1
            if queueHead > 1024 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            let stop = failure != nil || cancelled
            cond.unlock()
            if !stop {
                do {
                    try consume(requests[item.index], item.body)
                } catch {
                    fail(error)
                }
            }
            release(item.reserved)
        }
    }

    // MARK: download thread

    private func stopReason() -> (any Error)? {
        cond.lock()
        defer { cond.unlock() }
        if let failure { return failure }
        if cancelled { return ChainsnapError(.cancelled, "download cancelled") }
        return nil
    }

    private func downloadLoop() {
        cond.lock()
        guard let m = multi else { cond.unlock(); return }
        cond.unlock()
        var outcome: (any Error)? = nil
        while true {
            if let e = stopReason() { outcome = e; break }
            startTransfers(m)
            if active.isEmpty && retries.isEmpty && nextIndex == requests.count { break }
            var running: Int32 = 0
            _ = curl_multi_perform(m, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(m, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = ccurl_msg_result(msg)
                if let t = active.removeValue(forKey: Int(bitPattern: easy)) {
                    var version = 0
                    _ = ccurl_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
                    var connects = 0
                    _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
                    stats.connectionsOpened += connects
                    t.httpVersion = version == Int(CURL_HTTP_VERSION_2_0) ? 2 : 1
                    _ = curl_multi_remove_handle(m, easy)
                    finish(t, code: code)
                }
            }
            cutStalledTransfers(m)
            var timeout: Int32 = 250
            if let soonest = retries.map(\.at).min() {
                timeout = Int32(max(0, min(250, (soonest - monotonicSeconds()) * 1000)))
            }
            _ = curl_multi_poll(m, nil, 0, timeout, nil)
        }
        // Tear down whatever is still running.
        for (_, t) in active {
            _ = curl_multi_remove_handle(m, t.easy)
            release(t.reservation)
        }
        active.removeAll()
        cond.lock()
        loopDone = true
        cond.broadcast()
        while liveWorkers > 0 { cond.wait() }
        multi = nil
        stats.seconds = monotonicSeconds() - started
        let final = outcome ?? failure ?? (cancelled ? ChainsnapError(.cancelled, "download cancelled") : nil)
        let cont = continuation
        continuation = nil
        cond.unlock()
        if let pool = options.pool, outcome == nil {
            pool.checkin(m)
        } else {
            curl_multi_cleanup(m)
        }
        if let final { cont?.resume(throwing: final) } else { cont?.resume() }
    }

    /// Ends transfers that received nothing for `stallSeconds` (curl's own low-speed check
    /// averages over several seconds, so a burst followed by silence would go unnoticed too long).
    private func cutStalledTransfers(_ m: UnsafeMutableRawPointer) {
        let now = monotonicSeconds()
        let limit = Double(options.stallSeconds)
        for (key, t) in active where now - t.lastProgress > limit {
            active.removeValue(forKey: key)
            _ = curl_multi_remove_handle(m, t.easy)
            finish(t, code: CURLE_OPERATION_TIMEDOUT)
        }
    }

    private func startTransfers(_ m: UnsafeMutableRawPointer) {
        while active.count < governor.limit {
            let now = monotonicSeconds()
            var index: Int
            var retryPos: Int? = nil
            if let pos = retries.indices.filter({ retries[$0].at <= now }).min(by: { retries[$0].at < retries[$1].at }) {
                index = retries[pos].index
                retryPos = pos
            } else if nextIndex < requests.count {
                index = nextIndex
            } else {
                return
            }
            let req = requests[index]
            if let r = req.range, r.isEmpty {
                if let p = retryPos { retries.remove(at: p) } else { nextIndex += 1 }
                guard reserve(0) else { return }
                enqueue(index: index, body: [], reserved: 0)
                continue
            }
            let size = req.estimatedSize(unknown: options.unknownSizeEstimate)
            guard reserve(size) else { return }
            if let p = retryPos { retries.remove(at: p) } else { nextIndex += 1 }
            do {
                let t = try Transfer(run: self, index: index, request: req, reservation: size, options: options)
                active[Int(bitPattern: t.easy)] = t
                let rc = curl_multi_add_handle(m, t.easy)
                if rc != CURLM_OK {
                    active.removeValue(forKey: Int(bitPattern: t.easy))
                    release(size)
                    fail(ChainsnapError(.network, "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(rc)))"))
                    return
                }
            } catch {
                release(size)
                fail(error)
                return
            }
        }
    }

    private func finish(_ t: Transfer, code: CURLcode) {
        let req = requests[t.index]
        switch evaluate(t, code: code) {
        case .success(let body):
            governor.succeeded(now: monotonicSeconds())
            adjustReservation(t, to: Int64(body.count))
            options.onBytes?(Int64(body.count))
            stats.requests += 1
            stats.bytes += Int64(body.count)
            if t.httpVersion == 2 { stats.http2Responses += 1 }
            if t.request.range != nil && t.status == 200 { stats.rangeIgnored += 1 }
            enqueue(index: t.index, body: body, reserved: t.reservation)
        case .failure(let f):
            release(t.reservation)
            let attempts = (failedAttempts[t.index] ?? 0) + 1
            failedAttempts[t.index] = attempts
            let now = monotonicSeconds()
            if f.kind.lowersConcurrency {
                governor.throttled(now: now)
                stats.throttled += 1
                stats.lowestConcurrency = min(stats.lowestConcurrency, governor.limit)
                options.log?("server throttled (\(f.error.message)); lowering parallel requests to \(governor.limit) for a while")
            }
            switch options.retry.decide(f.kind, failedAttempts: attempts, retryAfter: f.retryAfter,
                                        random: Double.random(in: 0..<1)) {
            case .retry(let delay):
                options.log?("retrying \(Redact.url(req.url))\(rangeText(req.range)) in \(String(format: "%.2f", delay)) s (attempt \(attempts + 1) of \(options.retry.maxAttempts)): \(f.error.message)")
                retries.append((now + delay, t.index))
                stats.retries += 1
            case .giveUp:
                var e = f.error
                if attempts > 1 && f.kind != .permanent {
                    e.message += " (gave up after \(attempts) attempts)"
                }
                fail(e)
            }
        }
    }

    struct AttemptFailure: Error {
        var kind: FailureKind
        var error: ChainsnapError
        var retryAfter: Double?
    }

    private func evaluate(_ t: Transfer, code: CURLcode) -> Result<[UInt8], AttemptFailure> {
        let req = requests[t.index]
        let what = "GET \(Redact.url(req.url))\(rangeText(req.range))"
        if let reason = t.rejectReason {
            return .failure(AttemptFailure(kind: .permanent, error: ChainsnapError(
                .http, "\(what): \(reason); the response was not used", object: Redact.url(req.url),
                hint: "the server or a proxy in between mishandles Range requests; use another mirror")))
        }
        if t.overflow {
            return .failure(AttemptFailure(kind: .permanent, error: ChainsnapError(
                .http, "\(what): the server sent more bytes than announced; the response was not used",
                object: Redact.url(req.url), hint: "the object may have changed during the download; run again")))
        }
        if !t.sliceDone && code != CURLE_OK {
            let kind: FailureKind
            switch code {
            case CURLE_OPERATION_TIMEDOUT: kind = .stalled
            case CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                 CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_COULDNT_RESOLVE_HOST, CURLE_SSL_CONNECT_ERROR:
                kind = .connection
            default: kind = .permanent
            }
            let detail = kind == .stalled ? "no data for \(options.stallSeconds) s" : ""
            return .failure(AttemptFailure(kind: kind, error: curlError(code, url: req.url, detail: detail)))
        }
        let status = t.status
        guard (200..<300).contains(status) else {
            let retryAfter = t.headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            return .failure(AttemptFailure(kind: HTTPFailure.classify(status: status),
                                           error: HTTPFailure.error(method: "GET", url: req.url, status: status, body: t.errorBody),
                                           retryAfter: retryAfter))
        }
        if let etag = t.headers["etag"], !etag.isEmpty {
            if let known = req.expectedETag ?? etags[req.objectID], known != etag {
                return .failure(AttemptFailure(kind: .permanent, error: ChainsnapError(
                    .corrupt, "\(Redact.url(req.objectID)) changed while it was being downloaded (ETag \(known), now \(etag))",
                    object: Redact.url(req.objectID),
                    hint: "the object was replaced at the source; run the command again to fetch the new version")))
            }
            etags[req.objectID] = etag
        }
        let plan = t.plan ?? t.makePlan()
        if case .reject(let reason) = plan {
            return .failure(AttemptFailure(kind: .permanent, error: ChainsnapError(
                .http, "\(what): \(reason); the response was not used", object: Redact.url(req.url))))
        }
        let body = t.body
        var complete = true
        switch plan {
        case .whole(let len?): complete = Int64(body.count) == len
        case .slice(_, let take?): complete = Int64(body.count) == take
        default: break
        }
        if let exp = req.expectedSize {
            if Int64(body.count) > exp {
                return .failure(AttemptFailure(kind: .permanent, error: ChainsnapError(
                    .corrupt, "\(what): got \(body.count) bytes, expected \(exp)", object: Redact.url(req.url),
                    hint: "the object differs from what the manifest describes; it may have been replaced")))
            }
            if Int64(body.count) < exp { complete = false }
        }
        if !complete {
            let expected = req.expectedSize.map(String.init) ?? "more"
            return .failure(AttemptFailure(kind: .shortBody, error: ChainsnapError(
                .network, "\(what): the body ended after \(body.count) bytes, expected \(expected)",
                object: Redact.url(req.url), retryable: true)))
        }
        return .success(body)
    }
}

func rangeText(_ r: Range<Int64>?) -> String {
    guard let r else { return "" }
    return " [bytes \(r.lowerBound)-\(r.upperBound - 1)]"
}

/// One attempt of one request: the curl easy handle and what it received.
final class Transfer {
    unowned let run: FetchRun
    let index: Int
    let request: TransferRequest
    var reservation: Int64
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    var status = 0
    var httpVersion = 1
    var headers: [String: String] = [:]
    var plan: BodyPlan?
    var body: [UInt8] = []
    var errorBody: [UInt8] = []
    private var skipLeft: Int64 = 0
    private var takeLeft: Int64?
    private var limit: Int64?
    var sliceDone = false
    var rejectReason: String?
    /// When bytes last arrived (or the transfer started), on the monotonic clock.
    var lastProgress = monotonicSeconds()
    var overflow = false

    init(run: FetchRun, index: Int, request: TransferRequest, reservation: Int64, options: TransferOptions) throws {
        var prepared = PreparedRequest(method: "GET", url: request.url)
        if let r = request.range { prepared.headers.append(("Range", "bytes=\(r.lowerBound)-\(r.upperBound - 1)")) }
        try options.signer?(&prepared)
        guard let h = curl_easy_init() else { throw ChainsnapError(.network, "curl_easy_init failed (out of memory?)") }
        self.run = run
        self.index = index
        self.request = request
        self.reservation = reservation
        self.easy = h
        for (k, v) in prepared.headers { headerList = curl_slist_append(headerList, "\(k): \(v)") }
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_easy_setopt_string(h, CURLOPT_URL, prepared.url)
        _ = ccurl_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 1)
        _ = ccurl_easy_setopt_long(h, CURLOPT_MAXREDIRS, 5)
        _ = ccurl_easy_setopt_slist(h, CURLOPT_HTTPHEADER, headerList)
        _ = ccurl_easy_setopt_long(h, CURLOPT_BUFFERSIZE, options.bufferSize)
        _ = ccurl_easy_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 1)
        // A backstop only: the download loop cuts stalls itself, to the second.
        _ = ccurl_easy_setopt_long(h, CURLOPT_LOW_SPEED_TIME, options.stallSeconds * 2 + 5)
        _ = ccurl_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        _ = ccurl_easy_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_easy_setopt_long(h, CURLOPT_HTTP_VERSION,
                                   options.http2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1))
        if let ca = options.caFile { _ = ccurl_easy_setopt_string(h, CURLOPT_CAINFO, ca) }
        _ = ccurl_easy_setopt_write_cb(h, CURLOPT_WRITEFUNCTION, { ptr, size, n, ud in
            let t = Unmanaged<Transfer>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            guard let ptr else { return count }
            return t.receive(UnsafeBufferPointer(start: UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: count))
                ? count : 0
        })
        _ = ccurl_easy_setopt_ptr(h, CURLOPT_WRITEDATA, ctx)
        _ = ccurl_easy_setopt_write_cb(h, CURLOPT_HEADERFUNCTION, { ptr, size, n, ud in
            let t = Unmanaged<Transfer>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            if let ptr { t.headerLine(UnsafeRawBufferPointer(start: ptr, count: count)) }
            return count
        })
        _ = ccurl_easy_setopt_ptr(h, CURLOPT_HEADERDATA, ctx)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
    }

    func headerLine(_ raw: UnsafeRawBufferPointer) {
        lastProgress = monotonicSeconds()
        let line = String(decoding: raw, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        headers[name] = String(line[line.index(after: colon)...].trimmingSpaces)
    }

    func makePlan() -> BodyPlan {
        let p = BodyPlan.make(requested: request.range, status: status, contentRange: headers["content-range"],
                              contentLength: headers["content-length"].flatMap { Int64($0) })
        plan = p
        switch p {
        case .whole(let len):
            limit = len
            if let len, len > 0, len < (1 << 40) {
                // Content-Length is the server's word: reserve it only up to what was expected (or 16 MiB);
                // a larger body still arrives, growing the buffer as bytes really come.
                body.reserveCapacity(Int(min(len, max(request.expectedSize ?? 0, 16 << 20))))
                if request.expectedSize == nil && request.range == nil { run.adjustReservation(self, to: len) }
            }
        case .slice(let skip, let take):
            skipLeft = skip
            takeLeft = take
            if let take { body.reserveCapacity(Int(min(take, max(request.expectedSize ?? 0, 16 << 20)))) }
        case .reject(let reason):
            rejectReason = reason
        }
        return p
    }

    /// Takes one piece of the body; false stops the transfer.
    func receive(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        lastProgress = monotonicSeconds()
        guard (200..<300).contains(status) else {
            if errorBody.count < 64 << 10 { errorBody.append(contentsOf: data) }
            return true
        }
        let p = plan ?? makePlan()
        switch p {
        case .reject:
            return false
        case .whole:
            if let limit, Int64(body.count + data.count) > limit {
                overflow = true
                return false
            }
            body.append(contentsOf: data)
            return true
        case .slice:
            var d = data
            if skipLeft > 0 {
                let k = Int(min(skipLeft, Int64(d.count)))
                d = UnsafeBufferPointer(rebasing: d[k...])
                skipLeft -= Int64(k)
            }
            guard let left = takeLeft else {
                body.append(contentsOf: d)
                return true
            }
            let k = Int(min(left, Int64(d.count)))
            body.append(contentsOf: UnsafeBufferPointer(rebasing: d[..<k]))
            takeLeft = left - Int64(k)
            if takeLeft == 0 {
                sliceDone = true
                return false  // the rest of the object is not needed
            }
            return true
        }
    }
}
