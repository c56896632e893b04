import Testing
@testable import Transfer

@Suite("Retry policy and concurrency governor (pure values)")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelay: 0.5, multiplier: 2, maxDelay: 3, jitter: 0.5, throttleMinimumDelay: 1)

    @Test func backoffGrowsExponentiallyAndIsCapped() {
        #expect(policy.baseBackoff(failedAttempts: 1) == 0.5)
        #expect(policy.baseBackoff(failedAttempts: 2) == 1.0)
        #expect(policy.baseBackoff(failedAttempts: 3) == 2.0)
        #expect(policy.baseBackoff(failedAttempts: 4) == 3.0)
        #expect(policy.baseBackoff(failedAttempts: 40) == 3.0)
    }

    @Test func jitterShortensTheDelayWithinBounds() {
        #expect(policy.decide(.connection, failedAttempts: 2, random: 0) == .retry(after: 1.0))
        #expect(policy.decide(.connection, failedAttempts: 2, random: 0.5) == .retry(after: 0.75))
        guard case .retry(let d) = policy.decide(.connection, failedAttempts: 2, random: 0.999) else {
            Issue.record("expected a retry"); return
        }
        #expect(d > 0.5 && d <= 1.0)
    }

    @Test func givesUpOnPermanentFailuresAndAfterMaxAttempts() {
        #expect(policy.decide(.permanent, failedAttempts: 1, random: 0) == .giveUp)
        #expect(policy.decide(.connection, failedAttempts: 5, random: 0) == .giveUp)
        #expect(policy.decide(.shortBody, failedAttempts: 4, random: 0) != .giveUp)
        #expect(RetryPolicy.none.decide(.connection, failedAttempts: 1, random: 0) == .giveUp)
    }

    @Test func throttlingWaitsLongerAndHonoursRetryAfter() {
        // Base backoff for attempt 1 is 0.5 s, but throttling waits at least 1 s.
        #expect(policy.decide(.throttled(status: 503), failedAttempts: 1, random: 0) == .retry(after: 1.0))
        #expect(policy.decide(.throttled(status: 429), failedAttempts: 1, retryAfter: 2.5, random: 0) == .retry(after: 2.5))
        // Retry-After is capped at maxDelay.
        #expect(policy.decide(.throttled(status: 429), failedAttempts: 1, retryAfter: 600, random: 0) == .retry(after: 3))
        #expect(FailureKind.throttled(status: 503).lowersConcurrency)
        #expect(!FailureKind.serverError(status: 500).lowersConcurrency)
    }

    @Test func httpStatusesAreClassified() {
        #expect(HTTPFailure.classify(status: 503) == .throttled(status: 503))
        #expect(HTTPFailure.classify(status: 429) == .throttled(status: 429))
        #expect(HTTPFailure.classify(status: 500) == .serverError(status: 500))
        #expect(HTTPFailure.classify(status: 502) == .serverError(status: 502))
        #expect(HTTPFailure.classify(status: 404) == .permanent)
        #expect(HTTPFailure.classify(status: 403) == .permanent)
        let e = HTTPFailure.error(method: "GET", url: "https://h/b/k?X-Amz-Signature=abc", status: 403,
                                  body: Array("<Error><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error>".utf8))
        #expect(e.code == .auth)
        #expect(e.message.contains("SignatureDoesNotMatch"))
        #expect(!e.description.contains("abc"))
        #expect(e.hint?.contains("secret") == true)
    }

    @Test func governorHalvesOnThrottlingAndRecoversSlowly() {
        var g = ConcurrencyGovernor(maximum: 16, cooldown: 5, increaseInterval: 1)
        #expect(g.limit == 16)
        g.throttled(now: 100)
        #expect(g.limit == 8)
        g.throttled(now: 100.1)
        #expect(g.limit == 4)
        g.succeeded(now: 104)  // still cooling down
        #expect(g.limit == 4)
        g.succeeded(now: 105.2)
        #expect(g.limit == 5)
        g.succeeded(now: 105.5)  // at most one step per interval
        #expect(g.limit == 5)
        g.succeeded(now: 106.3)
        #expect(g.limit == 6)
        for i in 0..<100 { g.succeeded(now: 200 + Double(i) * 2) }
        #expect(g.limit == 16)
        var one = ConcurrencyGovernor(maximum: 1)
        one.throttled(now: 0)
        #expect(one.limit == 1)
    }
}
