import Foundation
import SnapshotCore
import Transfer

/// A small Kubernetes API client over the Transfer module's libcurl client: JSON requests,
/// authentication (bearer token, token file, exec plugin, client certificate), retries of
/// reads on 429/5xx and connection faults, and API errors turned into messages that name the
/// object and what to check. Credentials never appear in messages.
public final class KubeClient: Sendable {
    public let connection: KubeConnection
    /// Seconds per request.
    public let timeout: Double
    /// Items asked for per list page (`limit`; kubectl's chunk size is 500 too).
    public let listPageSize: Int
    /// Pages one list may take before it is given up (a server whose `continue` never ends).
    public let maxListPages: Int
    private let http = HTTPClient()
    private let execCache = ExecCredentialCache()

    public init(connection: KubeConnection, timeout: Double = 30, listPageSize: Int = 500, maxListPages: Int = 1000) {
        self.connection = connection
        self.timeout = timeout
        self.listPageSize = max(1, listPageSize)
        self.maxListPages = max(1, maxListPages)
    }

    /// The namespace to use when the caller named none.
    public var defaultNamespace: String { connection.namespace }

    /// One request. `object` names what it concerns in errors (`pod lux-mainnet/luxd-0`).
    /// GETs are retried (3 attempts) on throttling, 5xx and connection faults; a 401 with an
    /// exec plugin runs the plugin once more (the cached credential may have been revoked).
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
                     contentType: String = "application/json", object: String, timeout: Double? = nil) async throws -> HTTPResponse {
        var url = connection.server + path
        if !query.isEmpty { url += "?" + query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&") }
        let attempts = method == "GET" ? 3 : 1
        var forceRefresh = false
        var attempt = 0
        while true {
            attempt += 1
            var req = HTTPRequest(method: method, url: url, headers: [("Accept", "application/json")], body: body,
                                  timeout: timeout ?? self.timeout)
            if body != nil { req.headers.append(("Content-Type", contentType)) }
            req.tls = connection.tls
            // Lists of a few hundred pods are a few MiB; a larger answer is refused, not buffered.
            req.maxBodyBytes = Self.maxBodyBytes
            try authorize(&req, force: forceRefresh)
            let resp: HTTPResponse
            do {
                resp = try await http.send(req)
            } catch let e as ChainsnapError where e.isRetryable && attempt < attempts {
                try await Task.sleep(nanoseconds: UInt64(attempt) * 500_000_000)
                continue
            } catch let e as ChainsnapError {
                throw ChainsnapError(e.code, "\(method) \(object): \(e.message)", object: connection.server,
                                     hint: e.hint ?? "check that the API server \(connection.server) (\(connection.origin)) is reachable",
                                     retryable: e.isRetryable)
            }
            if resp.status == 401, case .exec = connection.auth, !forceRefresh {
                forceRefresh = true
                continue
            }
            if (resp.status == 429 || resp.status >= 500) && attempt < attempts {
                let wait = Double(resp.headers["retry-after"] ?? "").map { min($0, 10) } ?? Double(attempt)
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            return resp
        }
    }

    /// Sends and decodes a 2xx JSON answer; any other status throws `KubeError.error`.
    public func json<T: Decodable>(_ type: T.Type, _ method: String, _ path: String, query: [(String, String)] = [],
                                   body: [UInt8]? = nil, contentType: String = "application/json", object: String,
                                   verb: String) async throws -> T {
        let resp = try await send(method, path, query: query, body: body, contentType: contentType, object: object)
        try check(resp, object: object, verb: verb)
        do {
            return try JSONDecoder().decode(T.self, from: Data(resp.body))
        } catch {
            throw ChainsnapError(.corrupt, "the API server's answer for \(object) is not the expected \(T.self) JSON", object: object,
                                 underlying: KubeDecodeError(text: "\(error)"))
        }
    }

    /// Throws the mapped error for a non-2xx answer.
    public func check(_ resp: HTTPResponse, object: String, verb: String) throws {
        guard !(200..<300).contains(resp.status) else { return }
        throw KubeError.error(status: resp.status, body: resp.body, verb: verb, object: object, connection: connection)
    }

    private func authorize(_ req: inout HTTPRequest, force: Bool) throws {
        switch connection.auth {
        case .none:
            break
        case .token(let t):
            req.headers.append(("Authorization", "Bearer " + t))
        case .tokenFile(let f):
            guard let d = FileManager.default.contents(atPath: f) else {
                throw ChainsnapError(.auth, "token file \(f) (\(connection.origin)) cannot be read", object: f)
            }
            let t = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            req.headers.append(("Authorization", "Bearer " + t))
        case .exec(let config, let server):
            let c = try execCache.credential(config, server: server, force: force)
            if let t = c.token { req.headers.append(("Authorization", "Bearer " + t)) }
            if let cert = c.clientCertificatePEM, let key = c.clientKeyPEM {
                var tls = req.tls ?? HTTPTLS()
                tls.clientCertPEM = cert
                tls.clientKeyPEM = key
                tls.clientCertFile = nil
                tls.clientKeyFile = nil
                req.tls = tls
            }
        }
    }

    /// The largest answer accepted from the API server or a proxied node.
    public static let maxBodyBytes = 64 << 20

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

struct KubeDecodeError: Error, CustomStringConvertible {
    var text: String
    var description: String { String(text.prefix(300)) }
}
