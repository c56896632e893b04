/// Why one attempt of a request failed, as far as the retry decision cares.
public enum FailureKind: Sendable, Equatable {
    /// Connection refused, reset, closed early, DNS hiccup, TLS read error.
    case connection
    /// No bytes arrived for the stall window (or the request timed out).
    case stalled
    /// The body ended before the announced or expected length.
    case shortBody
    /// A 5xx answer that is not throttling.
    case serverError(status: Int)
    /// `429 Too Many Requests` or S3's `503 SlowDown`: retry later, and with fewer requests in flight.
    case throttled(status: Int)
    /// Anything that repeating cannot fix (4xx, TLS trust, changed object, wrong range).
    case permanent

    /// Whether this failure should lower the number of requests in flight for a while.
    public var lowersConcurrency: Bool {
        if case .throttled = self { return true }
        return false
    }
}

/// What to do after a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    /// Try again after this many seconds.
    case retry(after: Double)
    /// Stop and report the failure.
    case giveUp
}

/// Exponential backoff with jitter, as a plain value: every decision is a pure function of
/// the failure, the attempt number and a random number in 0..<1 (injected in tests).
///
/// Delay before attempt `n + 1` (after `n` failed attempts) is
/// `min(maxDelay, baseDelay * multiplier^(n-1))`, scaled by a random factor in
/// `[1 - jitter, 1]` so that many clients do not retry in lock-step. Throttling waits at
/// least `throttleMinimumDelay` and honours a server's `Retry-After` (capped at `maxDelay`).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var multiplier: Double
    public var maxDelay: Double
    /// Fraction of the delay that is randomised (0 = none, 1 = "full jitter").
    public var jitter: Double
    public var throttleMinimumDelay: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.25, multiplier: Double = 2, maxDelay: Double = 15,
                jitter: Double = 0.5, throttleMinimumDelay: Double = 1) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.throttleMinimumDelay = throttleMinimumDelay
    }

    /// A policy that never retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The backoff before the next attempt after `failedAttempts` failures (>= 1), without jitter.
    public func baseBackoff(failedAttempts: Int) -> Double {
        let n = max(1, failedAttempts)
        var d = baseDelay
        for _ in 1..<n {
            d *= multiplier
            if d >= maxDelay { return maxDelay }
        }
        return min(d, maxDelay)
    }

    /// Decides whether to retry after attempt number `failedAttempts` (1-based) failed with `kind`.
    /// - Parameters:
    ///   - retryAfter: the server's `Retry-After` in seconds, when it sent one.
    ///   - random: a number in `0..<1`.
    public func decide(_ kind: FailureKind, failedAttempts: Int, retryAfter: Double? = nil,
                       random: Double) -> RetryDecision {
        if kind == .permanent || failedAttempts >= maxAttempts { return .giveUp }
        let r = min(max(random, 0), 1)
        var delay = baseBackoff(failedAttempts: failedAttempts) * (1 - jitter * r)
        if case .throttled = kind {
            delay = max(delay, throttleMinimumDelay * (1 + r))
            if let ra = retryAfter, ra > 0 { delay = max(delay, min(ra, maxDelay)) }
        } else if case .serverError = kind, let ra = retryAfter, ra > 0 {
            delay = max(delay, min(ra, maxDelay))
        }
        return .retry(after: delay)
    }
}

/// How many requests may be in flight, lowered on throttling and raised back slowly.
///
/// On a throttling answer the limit halves (never below 1) and stays there for
/// `cooldown` seconds; after that, each success raises it by one, at most once per
/// `increaseInterval`, up to `maximum` (additive increase, multiplicative decrease).
public struct ConcurrencyGovernor: Sendable, Equatable {
    public let maximum: Int
    public private(set) var limit: Int
    public var cooldown: Double
    public var increaseInterval: Double
    private var nextIncrease: Double = 0

    public init(maximum: Int, cooldown: Double = 5, increaseInterval: Double = 0.5) {
        self.maximum = max(1, maximum)
        self.limit = max(1, maximum)
        self.cooldown = cooldown
        self.increaseInterval = increaseInterval
    }

    /// Records a throttling answer at time `now` (seconds, any monotonic clock).
    public mutating func throttled(now: Double) {
        limit = max(1, limit / 2)
        nextIncrease = now + cooldown
    }

    /// Records a successful request at time `now`.
    public mutating func succeeded(now: Double) {
        guard limit < maximum, now >= nextIncrease else { return }
        limit += 1
        nextIncrease = now + increaseInterval
    }
}
