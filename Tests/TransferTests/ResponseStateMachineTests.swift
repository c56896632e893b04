import SnapshotCore
import Testing
@testable import Transfer

/// The response checks of the downloader, driven without a network: each row is a request, the
/// header lines a server sends, the sizes of the body pieces, how the transfer ended and the
/// ETag already known; the expected result is the actions for each piece and the verdict.
@Suite("Response state machine (pure)")
struct ResponseStateMachineTests {
    typealias M = ResponseStateMachine

    /// What a row expects at the end.
    enum Verdict: Equatable {
        case deliver(bytes: Int64)
        case fail(FailureKind, ChainsnapError.Code, messageContains: String)
    }

    struct Row: CustomTestStringConvertible {
        var name: String
        var request: TransferRequest
        var head: [String]
        var pieces: [Int]
        var actions: [M.BodyAction]
        var transport: M.Transport = .completed
        var knownETag: String? = nil
        var verdict: Verdict
        var etagSeen: String? = nil
        var testDescription: String { name }
    }

    static let url = "http://h/o"
    static func req(_ range: Range<Int64>? = nil, expected: Int64? = nil) -> TransferRequest {
        TransferRequest(url: url, range: range, expectedSize: expected)
    }
    static func status(_ s: String, _ headers: String...) -> [String] { ["HTTP/1.1 \(s)\r\n"] + headers.map { $0 + "\r\n" } + ["\r\n"] }
    static let reset = M.Transport.failed(.connection, ChainsnapError(.network, "request to http://h/o failed: Failure when receiving data from the peer", retryable: true))

    static let rows: [Row] = [
        Row(name: "206 for exactly the range is delivered",
            request: req(10..<20), head: status("206 Partial Content", "Content-Range: bytes 10-19/100", "Content-Length: 10"),
            pieces: [4, 6], actions: [.append(0..<4), .append(0..<6)], verdict: .deliver(bytes: 10)),
        Row(name: "200 to a Range request is sliced and stopped once the range is in",
            request: req(10..<20), head: status("200 OK", "Content-Length: 100"),
            pieces: [8, 8, 8], actions: [.append(8..<8), .append(2..<8), .appendAndStop(0..<4)],
            transport: .failed(.permanent, ChainsnapError(.network, "write error")), verdict: .deliver(bytes: 10)),
        Row(name: "200 to a Range request of unknown length is sliced",
            request: req(2..<4), head: status("200 OK"),
            pieces: [10], actions: [.appendAndStop(2..<4)], verdict: .deliver(bytes: 2)),
        Row(name: "a shifted Content-Range is rejected and the transfer stopped",
            request: req(10..<20), head: status("206 Partial Content", "Content-Range: bytes 9-18/100"),
            pieces: [10], actions: [.stop], transport: .failed(.permanent, ChainsnapError(.network, "write error")),
            verdict: .fail(.permanent, .http, messageContains: "asked for bytes from 10")),
        Row(name: "a partial answer to a plain GET is rejected",
            request: req(), head: status("206 Partial Content", "Content-Range: bytes 0-9/100"),
            pieces: [10], actions: [.stop], verdict: .fail(.permanent, .http, messageContains: "partial body (206)")),
        Row(name: "a rejection with an empty body is found at the end",
            request: req(10..<20), head: status("206 Partial Content"), pieces: [], actions: [],
            verdict: .fail(.permanent, .http, messageContains: "without a Content-Range")),
        Row(name: "more bytes than announced stop the transfer",
            request: req(), head: status("200 OK", "Content-Length: 5"),
            pieces: [4, 4], actions: [.append(0..<4), .stop], verdict: .fail(.permanent, .http, messageContains: "more bytes than announced")),
        Row(name: "a body shorter than Content-Length is retryable",
            request: req(), head: status("200 OK", "Content-Length: 10"),
            pieces: [4], actions: [.append(0..<4)], verdict: .fail(.shortBody, .network, messageContains: "ended after 4 bytes, expected more")),
        Row(name: "a body shorter than the expected size is retryable",
            request: req(expected: 10), head: status("200 OK"),
            pieces: [6], actions: [.append(0..<6)], verdict: .fail(.shortBody, .network, messageContains: "expected 10")),
        Row(name: "a body longer than the expected size is corrupt",
            request: req(expected: 3), head: status("200 OK"),
            pieces: [6], actions: [.append(0..<6)], verdict: .fail(.permanent, .corrupt, messageContains: "got 6 bytes, expected 3")),
        Row(name: "a connection reset mid-body is the transport's failure",
            request: req(0..<10), head: status("206 Partial Content", "Content-Range: bytes 0-9/10"),
            pieces: [3], actions: [.append(0..<3)], transport: reset,
            verdict: .fail(.connection, .network, messageContains: "receiving data")),
        Row(name: "503 SlowDown is throttling, its body is collected",
            request: req(), head: status("503 Slow Down", "Retry-After: 2"),
            pieces: [50], actions: [.collectError],
            verdict: .fail(.throttled(status: 503), .http, messageContains: "SlowDown")),
        Row(name: "404 is permanent",
            request: req(), head: status("404 Not Found"), pieces: [], actions: [],
            verdict: .fail(.permanent, .notFound, messageContains: "HTTP 404")),
        Row(name: "a redirect's headers are forgotten",
            request: req(0..<4), head: status("302 Found", "ETag: \"old\"", "Content-Range: bytes 5-8/9")
                + status("206 Partial Content", "Content-Range: bytes 0-3/9"),
            pieces: [4], actions: [.append(0..<4)], verdict: .deliver(bytes: 4)),
        Row(name: "the first ETag is remembered",
            request: req(0..<4), head: status("206 Partial Content", "Content-Range: bytes 0-3/9", "ETag: \"a\""),
            pieces: [4], actions: [.append(0..<4)], verdict: .deliver(bytes: 4), etagSeen: "\"a\""),
        Row(name: "the same ETag again is fine",
            request: req(0..<4), head: status("206 Partial Content", "Content-Range: bytes 0-3/9", "ETag: \"a\""),
            pieces: [4], actions: [.append(0..<4)], knownETag: "\"a\"", verdict: .deliver(bytes: 4), etagSeen: "\"a\""),
        Row(name: "a changed ETag fails the object",
            request: req(4..<9), head: status("206 Partial Content", "Content-Range: bytes 4-8/9", "ETag: \"b\""),
            pieces: [5], actions: [.append(0..<5)], knownETag: "\"a\"",
            verdict: .fail(.permanent, .corrupt, messageContains: "changed while it was being downloaded (ETag \"a\", now \"b\")")),
        Row(name: "an empty range needs no bytes",
            request: req(5..<5), head: status("200 OK", "Content-Length: 9"), pieces: [], actions: [],
            verdict: .deliver(bytes: 0)),
        Row(name: "a range past the end of a whole-object answer is rejected",
            request: req(100..<120), head: status("200 OK", "Content-Length: 100"),
            pieces: [10], actions: [.stop], verdict: .fail(.permanent, .http, messageContains: "past the end")),
        Row(name: "HTTP/2 status lines are read",
            request: req(), head: ["HTTP/2 200 \r\n", "content-length: 3\r\n", "\r\n"],
            pieces: [3], actions: [.append(0..<3)], verdict: .deliver(bytes: 3)),
    ]

    @Test(arguments: rows)
    func row(_ row: Row) {
        var m = M(request: row.request)
        for line in row.head { m.headerLine(line) }
        let actions = row.pieces.map { m.bodyPiece(count: $0).action }
        #expect(actions == row.actions)
        let errorBody = Array("<Error><Code>SlowDown</Code></Error>".utf8)
        let c = m.complete(row.transport, knownETag: row.knownETag, errorBody: errorBody)
        switch (c.outcome, row.verdict) {
        case (.deliver, .deliver(let bytes)):
            #expect(m.kept == bytes)
        case (.fail(let f), .fail(let kind, let code, let text)):
            #expect(f.kind == kind)
            #expect(f.error.code == code)
            #expect(f.error.message.contains(text), "\(f.error.message)")
            if kind == .permanent { #expect(!f.error.isRetryable, "a permanent failure must not say it is retryable") }
        default:
            Issue.record("got \(c.outcome), expected \(row.verdict)")
        }
        #expect(c.etagSeen == row.etagSeen)
    }

    @Test func firstPieceTellsTheSizeToPrepareFor() {
        var m = M(request: Self.req())
        for line in Self.status("200 OK", "Content-Length: 1000") { m.headerLine(line) }
        let first = m.bodyPiece(count: 10)
        #expect(first.start == M.BodyStart(capacity: 1000, reservation: 1000))
        #expect(m.bodyPiece(count: 10).start == nil)

        var ranged = M(request: Self.req(0..<100))
        for line in Self.status("200 OK", "Content-Length: 1000") { ranged.headerLine(line) }
        #expect(ranged.bodyPiece(count: 10).start == M.BodyStart(capacity: 100, reservation: nil))
    }

    @Test func errorBodiesAreCappedAt64KiB() {
        var m = M(request: Self.req())
        for line in Self.status("500 Internal Server Error") { m.headerLine(line) }
        #expect(m.bodyPiece(count: 60 << 10).action == .collectError)
        #expect(m.bodyPiece(count: 60 << 10).action == .collectError)
        #expect(m.bodyPiece(count: 1).action == .discard)
        guard case .fail(let f) = m.complete(.completed, knownETag: nil).outcome else {
            Issue.record("a 500 must fail"); return
        }
        #expect(f.kind == .serverError(status: 500))
    }

    @Test func retryAfterIsRead() {
        var m = M(request: Self.req())
        for line in Self.status("429 Too Many Requests", "Retry-After:  3 ") { m.headerLine(line) }
        guard case .fail(let f) = m.complete(.completed, knownETag: nil).outcome else {
            Issue.record("a 429 must fail"); return
        }
        #expect(f.kind == .throttled(status: 429))
        #expect(f.retryAfter == 3)
    }
}

@Suite("CURLcode classification and header parsing (pure)")
struct CurlFailureTests {
    // libcurl's numbers (curl/curl.h); the tests do not import libcurl.
    static let table: [(code: UInt32, name: String, kind: FailureKind)] = [
        (6, "COULDNT_RESOLVE_HOST", .connection), (7, "COULDNT_CONNECT", .connection),
        (18, "PARTIAL_FILE", .connection), (28, "OPERATION_TIMEDOUT", .stalled),
        (35, "SSL_CONNECT_ERROR", .connection), (52, "GOT_NOTHING", .connection),
        (55, "SEND_ERROR", .connection), (56, "RECV_ERROR", .connection),
        (16, "HTTP2", .connection), (92, "HTTP2_STREAM", .connection),
        (60, "PEER_FAILED_VERIFICATION", .permanent), (77, "SSL_CACERT_BADFILE", .permanent),
        (1, "UNSUPPORTED_PROTOCOL", .permanent), (3, "URL_MALFORMAT", .permanent),
        (23, "WRITE_ERROR", .permanent), (42, "ABORTED_BY_CALLBACK", .permanent),
    ]

    @Test func oneRuleForEveryCaller() {
        for row in Self.table {
            #expect(CurlFailure.kind(rawCode: row.code) == row.kind, "CURLE_\(row.name)")
            // HTTPClient's error (and so RequestRunner's retries) follows the same rule.
            let e = CurlFailure.error(rawCode: row.code, url: "https://u:p@h/x?X-Amz-Signature=s")
            #expect(e.isRetryable == (row.kind != .permanent), "CURLE_\(row.name)")
            #expect(!e.message.contains("u:p") && !e.message.contains("=s"), "credentials must be redacted")
        }
    }

    @Test func hintsSayWhatToDo() {
        #expect(CurlFailure.hint(rawCode: 60)?.contains("--ca-file") == true)
        #expect(CurlFailure.hint(rawCode: 77)?.contains("--ca-file") == true)
        #expect(CurlFailure.hint(rawCode: 7)?.contains("reachable") == true)
        #expect(CurlFailure.hint(rawCode: 35)?.contains("TLS") == true)
        #expect(CurlFailure.hint(rawCode: 56) == nil)
    }

    @Test func headerParserKeepsTheFinalResponse() {
        var h = ResponseHead()
        for line in ["HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 301 Moved\r\n", "Location: /x\r\n", "\r\n",
                     "HTTP/1.1 200 OK\r\n", "Content-Type:  text/plain \r\n", "ETag: \"e\"\r\n", "X-Dup: 1\r\n",
                     "x-dup: 2\r\n", "no colon here\r\n", "\r\n"] {
            h.add(line: line)
        }
        #expect(h.status == 200)
        #expect(h.headers == ["content-type": "text/plain", "etag": "\"e\"", "x-dup": "2"])
    }
}
