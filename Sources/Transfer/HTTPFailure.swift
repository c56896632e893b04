import SnapshotCore

/// Turns HTTP error answers into retry decisions and into errors that say what to do next.
public enum HTTPFailure {
    /// The `<Code>` and `<Message>` of an S3-style XML error body, when present.
    public static func serviceError(in body: [UInt8]) -> (code: String?, message: String?) {
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self)
        return (xmlValue("Code", in: text), xmlValue("Message", in: text))
    }

    /// The text between `<tag>` and `</tag>`, first occurrence.
    public static func xmlValue(_ tag: String, in text: String) -> String? {
        guard let a = text.range(of: "<\(tag)>"), let b = text.range(of: "</\(tag)>", range: a.upperBound..<text.endIndex)
        else { return nil }
        return String(text[a.upperBound..<b.lowerBound])
    }

    /// How an HTTP status should be retried.
    public static func classify(status: Int) -> FailureKind {
        switch status {
        case 429, 503: return .throttled(status: status)
        case 408: return .connection
        case 500...599: return .serverError(status: status)
        default: return .permanent
        }
    }

    /// The error for a final (non-retried or retried-out) HTTP answer.
    public static func error(method: String, url: String, status: Int, body: [UInt8], attempts: Int = 1) -> ChainsnapError {
        let (code, message) = serviceError(in: body)
        let where_ = Redact.url(url)
        var text = "\(method) \(where_) answered HTTP \(status)"
        if let code { text += " \(code)" }
        if let message { text += ": \(message)" }
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        let errCode: ChainsnapError.Code
        var hint: String?
        switch (status, code) {
        case (_, "SignatureDoesNotMatch"?):
            errCode = .auth
            hint = "the secret access key does not match the access key id; check the credentials (environment, shared credentials file or --credentials-dir)"
        case (_, "InvalidAccessKeyId"?):
            errCode = .auth
            hint = "the access key id is unknown to this endpoint; check the credentials and --endpoint"
        case (_, "RequestTimeTooSkewed"?):
            errCode = .auth
            hint = "this machine's clock differs too much from the server's; fix the clock (NTP)"
        case (_, "NoSuchBucket"?):
            errCode = .notFound
            hint = "check the bucket name in the s3:// URL, --endpoint and --region"
        case (401, _), (403, _):
            errCode = .auth
            hint = "access was refused; check the credentials and that they may read (or write) this bucket/path"
        case (404, _):
            errCode = .notFound
        case (416, _):
            errCode = .http
            hint = "the requested byte range lies outside the object; the object may have changed"
        case (429, _), (500...599, _):
            errCode = .http
            hint = "the server is overloaded or failing; try again later or lower --connections"
        default:
            errCode = .http
        }
        return ChainsnapError(errCode, text, object: where_, hint: hint, retryable: classify(status: status) != .permanent)
    }
}
