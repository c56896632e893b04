import SnapshotCore

/// Why one attempt failed: the retry class, the error to report, and the server's `Retry-After`.
struct AttemptFailure: Error {
    var kind: FailureKind
    var error: ChainsnapError
    var retryAfter: Double?
}

/// The checks on one download attempt, as a pure state machine (in the spirit of
/// async-http-client's `HTTPRequestStateMachine`): the transfer feeds it events — header lines,
/// the size of each body piece, the end of the transfer — and carries out the actions it returns.
/// It touches no network, memory budget or clock, so every odd server is a table row in a test.
///
/// What it guarantees: a delivered body is exactly the requested bytes. It slices a whole object
/// sent (`200`) to a Range request, stops the transfer once the slice is complete, rejects a
/// response for other bytes (`BodyPlan`), stops a body longer than announced, fails an object
/// whose ETag changed, and reports a body shorter than announced or expected as retryable.
struct ResponseStateMachine {
    enum State: Equatable {
        /// Headers are arriving; no body byte yet.
        case head
        /// A non-2xx answer: up to 64 KiB of its body are kept for the error message.
        case errorBody(collected: Int)
        /// A 2xx body being received according to `plan`.
        case body(BodyProgress)
        /// All requested bytes of a sliced whole-object answer arrived; the transfer was stopped.
        case sliceDone(kept: Int64)
        /// The response cannot give the requested bytes; the transfer was stopped.
        case rejected(reason: String)
        /// More bytes than announced arrived; the transfer was stopped.
        case overflow
    }

    /// Where a 2xx body is: bytes kept so far, bytes still to skip and (when known) to take.
    struct BodyProgress: Equatable {
        var plan: BodyPlan
        var kept: Int64 = 0
        var skipLeft: Int64 = 0
        var takeLeft: Int64?
        /// `.whole(length:)`: more than this is an overflow.
        var limit: Int64?
    }

    /// What to do with one body piece of `count` bytes.
    enum BodyAction: Equatable {
        /// Append these indices of the piece to the body, and go on.
        case append(Range<Int>)
        /// Append these indices, then stop the transfer: the rest is not needed.
        case appendAndStop(Range<Int>)
        /// Append the whole piece to the error body (a non-2xx answer).
        case collectError
        /// Drop the piece and go on (an error body beyond 64 KiB).
        case discard
        /// Stop the transfer: the response is unusable (see the completion).
        case stop
    }

    /// Told once, with the first body piece, when the body's size is known in advance.
    struct BodyStart: Equatable {
        /// Bytes the body will hold: worth reserving capacity for.
        var capacity: Int?
        /// For a whole-object GET of unknown size: the size to account for in the memory budget.
        var reservation: Int64?
    }

    /// How the transfer ended, from curl's point of view (classified by `CurlFailure`).
    enum Transport {
        case completed
        case failed(FailureKind, ChainsnapError)
    }

    /// The verdict once the transfer has ended.
    struct Completion {
        enum Outcome {
            case deliver
            case fail(AttemptFailure)
        }
        var outcome: Outcome
        /// An ETag the response carried, to remember for the object's other ranges.
        var etagSeen: String?
    }

    static let errorBodyLimit = 64 << 10

    let request: TransferRequest
    private(set) var head = ResponseHead()
    private(set) var state = State.head

    init(request: TransferRequest) {
        self.request = request
    }

    /// The final response's status (0 until a status line arrived).
    var status: Int { head.status }

    /// Bytes kept for the caller so far.
    var kept: Int64 {
        switch state {
        case .body(let p): return p.kept
        case .sliceDone(let k): return k
        default: return 0
        }
    }

    // MARK: events

    mutating func headerLine(_ line: String) {
        head.add(line: line)
    }

    /// A body piece of `count` bytes arrived; `start` is set on the first piece of a 2xx body.
    mutating func bodyPiece(count: Int) -> (start: BodyStart?, action: BodyAction) {
        var start: BodyStart? = nil
        if case .head = state { start = beginBody() }
        switch state {
        case .head, .sliceDone, .rejected, .overflow:
            return (start, .stop)
        case .errorBody(let collected):
            guard collected < Self.errorBodyLimit else { return (start, .discard) }
            state = .errorBody(collected: collected + count)
            return (start, .collectError)
        case .body(var p):
            let action = p.take(count)
            switch action {
            case .stop: state = .overflow
            case .appendAndStop: state = .sliceDone(kept: p.kept)
            default: state = .body(p)
            }
            return (start, action)
        }
    }

    /// Leaves `.head` for the body state the status and headers call for.
    @discardableResult
    private mutating func beginBody() -> BodyStart? {
        guard (200..<300).contains(head.status) else {
            state = .errorBody(collected: 0)
            return nil
        }
        let plan = BodyPlan.make(requested: request.range, status: head.status, contentRange: head.headers["content-range"],
                                 contentLength: head.headers["content-length"].flatMap { Int64($0) })
        var p = BodyProgress(plan: plan)
        switch plan {
        case .reject(let reason):
            state = .rejected(reason: reason)
            return nil
        case .whole(let len):
            p.limit = len
            state = .body(p)
            guard let len, len > 0, len < (1 << 40) else { return nil }
            // Content-Length is the server's word: reserve it only up to what was expected (or
            // 16 MiB); a larger body still arrives, growing the buffer as bytes really come.
            return BodyStart(capacity: Int(min(len, reserveCap)),
                             reservation: request.expectedSize == nil && request.range == nil ? len : nil)
        case .slice(let skip, let take):
            p.skipLeft = skip
            p.takeLeft = take
            state = .body(p)
            return take.map { BodyStart(capacity: Int(min($0, reserveCap)), reservation: nil) }
        }
    }

    /// The most a body buffer is reserved for before bytes arrive: the expected size, or 16 MiB.
    private var reserveCap: Int64 { max(request.expectedSize ?? 0, 16 << 20) }

    /// The transfer ended.
    /// - Parameters:
    ///   - knownETag: the ETag the object must have (expected, or seen on another of its ranges).
    ///   - errorBody: what `.collectError` collected, for the message of a non-2xx answer.
    mutating func complete(_ transport: Transport, knownETag: String?, errorBody: [UInt8] = []) -> Completion {
        let what = "GET \(Redact.url(request.url))\(rangeText(request.range))"
        func fail(_ kind: FailureKind, _ e: ChainsnapError, retryAfter: Double? = nil, etag: String? = nil) -> Completion {
            Completion(outcome: .fail(AttemptFailure(kind: kind, error: e, retryAfter: retryAfter)), etagSeen: etag)
        }
        func rejected(_ reason: String, etag: String? = nil) -> Completion {
            fail(.permanent, ChainsnapError(
                .http, "\(what): \(reason); the response was not used", object: Redact.url(request.url),
                hint: "the server or a proxy in between mishandles Range requests; use another mirror"), etag: etag)
        }
        switch state {
        case .rejected(let reason):
            return rejected(reason)
        case .overflow:
            return fail(.permanent, ChainsnapError(
                .http, "\(what): the server sent more bytes than announced; the response was not used",
                object: Redact.url(request.url), hint: "the object may have changed during the download; run again"))
        default:
            break
        }
        // Stopping a complete slice makes curl report a write error: that one is ours.
        if case .failed(let kind, let error) = transport, !isSliceDone {
            return fail(kind, error)
        }
        guard (200..<300).contains(head.status) else {
            let retryAfter = head.headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            return fail(HTTPFailure.classify(status: head.status),
                        HTTPFailure.error(method: "GET", url: request.url, status: head.status, body: errorBody),
                        retryAfter: retryAfter)
        }
        var etagSeen: String? = nil
        if let etag = head.headers["etag"], !etag.isEmpty {
            if let known = knownETag, known != etag {
                return fail(.permanent, ChainsnapError(
                    .corrupt, "\(Redact.url(request.objectID)) changed while it was being downloaded (ETag \(known), now \(etag))",
                    object: Redact.url(request.objectID),
                    hint: "the object was replaced at the source; run the command again to fetch the new version"))
            }
            etagSeen = etag
        }
        // An empty body: no piece came, so the plan is made now (nothing to prepare for).
        if case .head = state { beginBody() }
        if case .rejected(let reason) = state { return rejected(reason, etag: etagSeen) }
        let count = kept
        var complete = true
        if case .body(let p) = state {
            switch p.plan {
            case .whole(let len?): complete = count == len
            case .slice(_, let take?): complete = count == take
            default: break
            }
        }
        if let exp = request.expectedSize {
            if count > exp {
                return fail(.permanent, ChainsnapError(
                    .corrupt, "\(what): got \(count) bytes, expected \(exp)", object: Redact.url(request.url),
                    hint: "the object differs from what the manifest describes; it may have been replaced"), etag: etagSeen)
            }
            if count < exp { complete = false }
        }
        if !complete {
            let expected = request.expectedSize.map(String.init) ?? "more"
            return fail(.shortBody, ChainsnapError(
                .network, "\(what): the body ended after \(count) bytes, expected \(expected)",
                object: Redact.url(request.url), retryable: true), etag: etagSeen)
        }
        return Completion(outcome: .deliver, etagSeen: etagSeen)
    }

    private var isSliceDone: Bool {
        if case .sliceDone = state { return true }
        return false
    }
}

extension ResponseStateMachine.BodyProgress {
    /// Takes `count` more bytes according to the plan.
    mutating func take(_ count: Int) -> ResponseStateMachine.BodyAction {
        switch plan {
        case .reject:
            return .stop
        case .whole:
            if let limit, kept + Int64(count) > limit { return .stop }
            kept += Int64(count)
            return .append(0..<count)
        case .slice:
            var from = 0
            if skipLeft > 0 {
                from = Int(min(skipLeft, Int64(count)))
                skipLeft -= Int64(from)
            }
            guard let left = takeLeft else {
                kept += Int64(count - from)
                return .append(from..<count)
            }
            let k = Int(min(left, Int64(count - from)))
            kept += Int64(k)
            takeLeft = left - Int64(k)
            return takeLeft == 0 ? .appendAndStop(from..<(from + k)) : .append(from..<(from + k))
        }
    }
}

func rangeText(_ r: Range<Int64>?) -> String {
    guard let r else { return "" }
    return " [bytes \(r.lowerBound)-\(r.upperBound - 1)]"
}
