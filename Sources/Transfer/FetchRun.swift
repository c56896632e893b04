import Foundation
internal import CCurl
import SnapshotCore

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// One `fetchAll` call: the scheduler. It owns the download thread (which starts attempts as
/// the concurrency limit and the memory budget allow, drives libcurl's multi handle, and turns
/// each finished attempt into a body for the workers, a retry or the run's failure), the worker
/// threads running `consume`, and the memory budget they share.
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
    private var active: [Int: FetchAttempt] = [:]
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
        do {
            try checkMulti(ccurl_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, n), "CURLMOPT_MAX_HOST_CONNECTIONS")
            try checkMulti(ccurl_multi_setopt_long(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, n), "CURLMOPT_MAX_TOTAL_CONNECTIONS")
            try checkMulti(ccurl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, n * 2), "CURLMOPT_MAXCONNECTS")
            try checkMulti(ccurl_multi_setopt_long(m, CURLMOPT_PIPELINING,
                                                   options.multiplex ? Int(CURLPIPE_MULTIPLEX) : Int(CURLPIPE_NOTHING)),
                           "CURLMOPT_PIPELINING")
        } catch {
            curl_multi_cleanup(m)
            cont.resume(throwing: error)
            return
        }
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

    // curl_multi_wakeup below only shortens the download loop's wait: the loop polls at most
    // 250 ms apart anyway, so a failed wakeup delays, never loses, what it signals.
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
    func adjustReservation(_ t: FetchAttempt, to size: Int64) {
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
            do {
                var running: Int32 = 0
                try checkMulti(curl_multi_perform(m, &running), "curl_multi_perform")
                var left: Int32 = 0
                while let msg = curl_multi_info_read(m, &left) {
                    guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                    let code = ccurl_msg_result(msg)
                    if let t = active.removeValue(forKey: Int(bitPattern: easy)) {
                        stats.connectionsOpened += t.easy.info(CURLINFO_NUM_CONNECTS) ?? 0
                        t.httpVersion = t.easy.info(CURLINFO_HTTP_VERSION) == Int(CURL_HTTP_VERSION_2_0) ? 2 : 1
                        try detach(m, t)
                        finish(t, code: code)
                    }
                }
                try cutStalledTransfers(m)
                var timeout: Int32 = 250
                if let soonest = retries.map(\.at).min() {
                    timeout = Int32(max(0, min(250, (soonest - monotonicSeconds()) * 1000)))
                }
                try checkMulti(curl_multi_poll(m, nil, 0, timeout, nil), "curl_multi_poll")
            } catch {
                outcome = error
                break
            }
        }
        // Tear down whatever is still running (a handle that will not detach is not returned to the pool).
        var detached = true
        for (_, t) in active {
            if curl_multi_remove_handle(m, t.easy.handle) != CURLM_OK { detached = false }
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
        if let pool = options.pool, outcome == nil, detached {
            pool.checkin(m)
        } else {
            curl_multi_cleanup(m)
        }
        if let final { cont?.resume(throwing: final) } else { cont?.resume() }
    }

    /// Ends transfers that received nothing for `stallSeconds` (curl's own low-speed check
    /// averages over several seconds, so a burst followed by silence would go unnoticed too long).
    private func cutStalledTransfers(_ m: UnsafeMutableRawPointer) throws {
        let now = monotonicSeconds()
        let limit = Double(options.stallSeconds)
        for (key, t) in active where now - t.lastProgress > limit {
            active.removeValue(forKey: key)
            try detach(m, t)
            finish(t, code: CURLE_OPERATION_TIMEDOUT)
        }
    }

    /// Takes a finished or abandoned attempt's handle off the multi handle.
    private func detach(_ m: UnsafeMutableRawPointer, _ t: FetchAttempt) throws {
        let rc = curl_multi_remove_handle(m, t.easy.handle)
        if rc != CURLM_OK { release(t.reservation) }
        try checkMulti(rc, "curl_multi_remove_handle")
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
                let t = try FetchAttempt(run: self, index: index, request: req, reservation: size, options: options)
                active[Int(bitPattern: t.easy.handle)] = t
                let rc = curl_multi_add_handle(m, t.easy.handle)
                if rc != CURLM_OK {
                    active.removeValue(forKey: Int(bitPattern: t.easy.handle))
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

    private func finish(_ t: FetchAttempt, code: CURLcode) {
        let req = requests[t.index]
        let verdict = t.complete(code: code, knownETag: req.expectedETag ?? etags[req.objectID],
                                 stallSeconds: options.stallSeconds)
        if let etag = verdict.etagSeen { etags[req.objectID] = etag }
        switch verdict.outcome {
        case .deliver:
            let body = t.body
            governor.succeeded(now: monotonicSeconds())
            adjustReservation(t, to: Int64(body.count))
            options.onBytes?(Int64(body.count))
            stats.requests += 1
            stats.bytes += Int64(body.count)
            if t.httpVersion == 2 { stats.http2Responses += 1 }
            if t.request.range != nil && t.machine.status == 200 { stats.rangeIgnored += 1 }
            enqueue(index: t.index, body: body, reserved: t.reservation)
        case .fail(let f):
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
}
