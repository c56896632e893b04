import Foundation

/// Bounds how many single requests (uploads, HEADs) of one store run at once, and lowers
/// the bound for a while when the service throttles (429 / S3 503 SlowDown), as the parallel
/// downloader does for GETs. Shared by every task using the store.
public final class RequestGate: @unchecked Sendable {
    private let lock = NSLock()
    private var governor: ConcurrencyGovernor
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var lowest: Int

    public init(maximum: Int, cooldown: Double = 5) {
        governor = ConcurrencyGovernor(maximum: maximum, cooldown: cooldown)
        lowest = governor.limit
    }

    /// Requests allowed at once right now.
    public var limit: Int { lock.withLock { governor.limit } }
    /// The lowest the limit has been (for tests and summaries).
    public var lowestLimit: Int { lock.withLock { lowest } }

    /// Waits for a slot.
    public func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            enqueueOrResume(c)
        }
    }

    private func tryAcquire() -> Bool {
        lock.withLock {
            guard inFlight < governor.limit else { return false }
            inFlight += 1
            return true
        }
    }

    private func enqueueOrResume(_ c: CheckedContinuation<Void, Never>) {
        let now: Bool = lock.withLock {
            if inFlight < governor.limit {
                inFlight += 1
                return true
            }
            waiters.append(c)
            return false
        }
        if now { c.resume() }
    }

    /// Frees a slot; `throttled` says whether the service asked to slow down.
    public func release(throttled: Bool) {
        lock.lock()
        inFlight -= 1
        let now = monotonicSeconds()
        if throttled {
            governor.throttled(now: now)
            lowest = min(lowest, governor.limit)
        } else {
            governor.succeeded(now: now)
        }
        var wake: [CheckedContinuation<Void, Never>] = []
        while inFlight < governor.limit, !waiters.isEmpty {
            inFlight += 1
            wake.append(waiters.removeFirst())
        }
        lock.unlock()
        for c in wake { c.resume() }
    }
}
