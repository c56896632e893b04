import Codecs
import Foundation
import SnapshotCore
import Transfer

/// AWS Signature Version 4 as pure functions of the request, the credentials and an
/// injected date, checked in tests against AWS's published test suite and S3 examples.
///
/// S3 rules: the path is used as sent (no normalisation, each segment encoded once), the
/// payload hash (or `UNSIGNED-PAYLOAD`) is sent and signed as `x-amz-content-sha256`.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    /// Adds and signs `x-amz-content-sha256` (S3 requires it; the generic AWS test suite has none).
    public var signsContentHash: Bool

    public init(credentials: AWSCredentials, region: String, service: String = "s3", signsContentHash: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.signsContentHash = signsContentHash
    }

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: pure pieces

    /// `20130524T000000Z` for `date` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return pad(tmv.tm_year + 1900, 4) + pad(tmv.tm_mon + 1, 2) + pad(tmv.tm_mday, 2) + "T"
            + pad(tmv.tm_hour, 2) + pad(tmv.tm_min, 2) + pad(tmv.tm_sec, 2) + "Z"
    }

    /// The parts of a URL the signature covers.
    public struct URLParts: Sendable, Equatable {
        public var scheme: String
        /// `host` or `host:port` (default ports omitted), as the Host header carries it.
        public var host: String
        /// The path as it goes on the wire (already percent-encoded), `/` at least.
        public var path: String
        /// The raw query without `?` ("" when none).
        public var query: String
    }

    public static func split(url: String) throws -> URLParts {
        guard let schemeEnd = url.range(of: "://") else {
            throw ChainsnapError(.invalidArgument, "not an absolute URL: \(Redact.url(url))")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var host = String(rest[..<hostEnd]).lowercased()
        if (scheme == "https" && host.hasSuffix(":443")) || (scheme == "http" && host.hasSuffix(":80")) {
            host = String(host[..<host.lastIndex(of: ":")!])
        }
        let pathAndQuery = rest[hostEnd...]
        var path = pathAndQuery
        var query: Substring = ""
        if let q = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<q]
            query = pathAndQuery[pathAndQuery.index(after: q)...]
        }
        return URLParts(scheme: scheme, host: host, path: path.isEmpty ? "/" : String(path), query: String(query))
    }

    /// The canonical URI: each segment decoded then encoded once (S3 does not normalise `.`/`..`).
    public static func canonicalURI(_ path: String) -> String {
        let decoded = URIEncoding.decode(path) ?? path
        return URIEncoding.encodePath(decoded)
    }

    /// The canonical query string: parameters decoded, re-encoded strictly, sorted by name then value.
    public static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs: [(String, String)] = query.split(separator: "&", omittingEmptySubsequences: true).map { p in
            let kv = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = URIEncoding.decode(String(kv[0])) ?? String(kv[0])
            let v = kv.count > 1 ? (URIEncoding.decode(String(kv[1])) ?? String(kv[1])) : ""
            return (URIEncoding.encode(k), URIEncoding.encode(v))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Canonical header lines (`name:value\n`…) and the `;`-joined signed header names.
    /// Names are lowercased, values trimmed with inner runs of spaces collapsed, repeats joined by `,`.
    public static func canonicalHeaders(_ headers: [(String, String)]) -> (canonical: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (k, v) in headers {
            let name = k.lowercased().trimmingCharacters(in: .whitespaces)
            var value = ""
            var lastSpace = false
            for ch in v.trimmingCharacters(in: .whitespacesAndNewlines) {
                let isSpace = ch == " " || ch == "\t" || ch == "\n" || ch == "\r"
                if isSpace {
                    if !lastSpace { value.append(" ") }
                } else {
                    value.append(ch)
                }
                lastSpace = isSpace
            }
            merged[name, default: []].append(value)
        }
        let names = merged.keys.sorted()
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    public static func canonicalRequest(method: String, path: String, query: String, headers: [(String, String)],
                                        payloadHash: String) -> (request: String, signedHeaders: String) {
        let (ch, signed) = canonicalHeaders(headers)
        let text = [method.uppercased(), canonicalURI(path), canonicalQuery(query), ch, signed, payloadHash]
            .joined(separator: "\n")
        return (text, signed)
    }

    /// `yyyymmdd/region/service/aws4_request`.
    public static func scope(timestamp: String, region: String, service: String) -> String {
        "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n" + SHA256Hasher.hex(Array(canonicalRequest.utf8))
    }

    public static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        let kDate = HMACSHA256.mac(key: Array(("AWS4" + secret).utf8), message: Array(date.utf8))
        let kRegion = HMACSHA256.mac(key: kDate, message: Array(region.utf8))
        let kService = HMACSHA256.mac(key: kRegion, message: Array(service.utf8))
        return HMACSHA256.mac(key: kService, message: Array("aws4_request".utf8))
    }

    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        Hex.encode(HMACSHA256.mac(key: signingKey, message: Array(stringToSign.utf8)))
    }

    // MARK: signing requests

    /// The intermediate values of one signature (for tests and debugging; holds no secret).
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String
        /// Headers to add to the request.
        public var addedHeaders: [(String, String)]
    }

    /// Computes the Authorization header for `method url` with `headers` at `date`.
    /// - Parameter payloadHash: SHA-256 hex of the body, or `UNSIGNED-PAYLOAD`.
    public func signature(method: String, url: String, headers: [(String, String)], payloadHash: String,
                          date: Date) throws -> Signed {
        let parts = try Self.split(url: url)
        let ts = Self.timestamp(date)
        var added: [(String, String)] = [("X-Amz-Date", ts)]
        if signsContentHash { added.append(("X-Amz-Content-SHA256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        let replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]
        var all = headers.filter { !replaced.contains($0.0.lowercased()) }
        if !all.contains(where: { $0.0.lowercased() == "host" }) { all.append(("Host", parts.host)) }
        all += added
        let (creq, signed) = Self.canonicalRequest(method: method, path: parts.path, query: parts.query, headers: all,
                                                   payloadHash: payloadHash)
        let scope = Self.scope(timestamp: ts, region: region, service: service)
        let sts = Self.stringToSign(timestamp: ts, scope: scope, canonicalRequest: creq)
        let key = Self.signingKey(secret: credentials.secretAccessKey, date: String(ts.prefix(8)), region: region, service: service)
        let sig = Self.signature(signingKey: key, stringToSign: sts)
        let auth = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signed), Signature=\(sig)"
        return Signed(canonicalRequest: creq, stringToSign: sts, signature: sig, authorization: auth, addedHeaders: added)
    }

    /// Signs a prepared request in place (adds `X-Amz-Date`, `X-Amz-Content-SHA256`, the session token and `Authorization`).
    public func sign(_ request: inout PreparedRequest, date: Date = Date()) throws {
        let hash = request.payloadHash ?? (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE"
            ? Self.emptyPayloadHash : Self.unsignedPayload)
        let s = try signature(method: request.method, url: request.url, headers: request.headers, payloadHash: hash, date: date)
        let replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]
        request.headers = request.headers.filter { !replaced.contains($0.0.lowercased()) } + s.addedHeaders
        request.headers.append(("Authorization", s.authorization))
    }

    /// A presigned URL (query-string authentication) valid for `expires` seconds from `date`.
    public func presign(method: String, url: String, date: Date, expires: Int) throws -> (url: String, signed: Signed) {
        let parts = try Self.split(url: url)
        let ts = Self.timestamp(date)
        let scope = Self.scope(timestamp: ts, region: region, service: service)
        var params: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", ts),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { params.append(("X-Amz-Security-Token", token)) }
        let extra = params.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        let query = parts.query.isEmpty ? extra : parts.query + "&" + extra
        let (creq, _) = Self.canonicalRequest(method: method, path: parts.path, query: query, headers: [("host", parts.host)],
                                              payloadHash: Self.unsignedPayload)
        let sts = Self.stringToSign(timestamp: ts, scope: scope, canonicalRequest: creq)
        let key = Self.signingKey(secret: credentials.secretAccessKey, date: String(ts.prefix(8)), region: region, service: service)
        let sig = Self.signature(signingKey: key, stringToSign: sts)
        let base = url.firstIndex(of: "?").map { String(url[..<$0]) } ?? url
        let full = base + "?" + query + "&X-Amz-Signature=" + sig
        return (full, Signed(canonicalRequest: creq, stringToSign: sts, signature: sig, authorization: "", addedHeaders: []))
    }
}
