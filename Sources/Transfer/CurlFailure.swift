internal import CCurl
import SnapshotCore

/// The one classification of libcurl's result codes, used by `HTTPClient` (and through it
/// `RequestRunner`) and by the parallel downloader alike.
///
/// The rule: a code is retried when the same request can succeed a moment later without anyone
/// changing anything — the network or the server had a hiccup. That is:
/// - `.stalled`: `CURLE_OPERATION_TIMEDOUT` (no data for the stall window, or the request's time limit);
/// - `.connection`: connect refused (`COULDNT_CONNECT`, a server restarting), DNS failure
///   (`COULDNT_RESOLVE_HOST`, resolvers time out), reset or closed connections (`RECV_ERROR`,
///   `SEND_ERROR`, `GOT_NOTHING`, `PARTIAL_FILE`), HTTP/2 framing or stream resets (`HTTP2`,
///   `HTTP2_STREAM`), and a TLS handshake that failed (`SSL_CONNECT_ERROR`): it is mostly a
///   connection reset or timeout during the handshake of a busy server or proxy; a TLS setup
///   that can never work (plain HTTP on the port, no common protocol) fails the same way on
///   every attempt, which costs a few seconds of backoff before the error and its hint;
/// - `.permanent`: everything else, notably certificate trust (`PEER_FAILED_VERIFICATION`,
///   `SSL_CACERT_BADFILE`), malformed URLs, unsupported protocols and our own aborts.
///
/// Before this type the downloader retried `SSL_CONNECT_ERROR` and `HTTPClient` did not.
enum CurlFailure {
    /// How the retry policy should treat `code` (never called with `CURLE_OK`).
    static func kind(_ code: CURLcode) -> FailureKind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .stalled
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
             CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR:
            return .connection
        default:
            return .permanent
        }
    }

    /// `kind` by the code's number, for tests (which do not import libcurl).
    static func kind(rawCode: UInt32) -> FailureKind { kind(CURLcode(rawValue: rawCode)) }

    /// What the user can do about `code`, when there is something.
    static func hint(_ code: CURLcode) -> String? {
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return "the server's TLS certificate is not trusted; pass --ca-file with your CA bundle"
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            return "check the URL and that the server is reachable from here"
        case CURLE_SSL_CONNECT_ERROR:
            return "if this persists, check that the server speaks TLS on this port (https:// vs http://) and that a proxy is not interfering"
        default:
            return nil
        }
    }

    static func hint(rawCode: UInt32) -> String? { hint(CURLcode(rawValue: rawCode)) }

    /// The error for a failed transfer of `url`; retryable exactly when `kind` is not `.permanent`.
    static func error(_ code: CURLcode, url: String, detail: String = "") -> ChainsnapError {
        let text = String(cString: curl_easy_strerror(code))
        return ChainsnapError(.network, "request to \(Redact.url(url)) failed: \(text)\(detail.isEmpty ? "" : " (\(detail))")",
                              object: Redact.url(url), hint: hint(code), retryable: kind(code) != .permanent)
    }

    static func error(rawCode: UInt32, url: String, detail: String = "") -> ChainsnapError {
        error(CURLcode(rawValue: rawCode), url: url, detail: detail)
    }
}

/// Throws when a multi-interface call failed (out of memory, a bad handle: a bug or a broken libcurl).
func checkMulti(_ rc: CURLMcode, _ what: String) throws {
    guard rc != CURLM_OK else { return }
    throw ChainsnapError(.network, "\(what) failed: \(String(cString: curl_multi_strerror(rc)))")
}
