import Foundation
import SnapshotCore
import Transfer

/// Where a node serves its APIs. luxd serves the C-chain at `/ext/bc/C/rpc`, its admin
/// API at `/ext/bc/C/admin` and health at `/ext/health`; geth serves everything at `/`.
public struct NodeEndpoints: Sendable {
    public var baseURL: String
    public var rpcPath: String
    public var adminPath: String
    public var healthPath: String
    /// The node-level admin API (`admin.aliasChain`) — luxd: `/ext/admin`.
    public var nodeAdminPath: String

    public init(baseURL: String, rpcPath: String = "/ext/bc/C/rpc", adminPath: String = "/ext/bc/C/admin",
                healthPath: String = "/ext/health", nodeAdminPath: String = "/ext/admin") {
        var b = baseURL
        while b.hasSuffix("/") { b.removeLast() }
        self.baseURL = b
        self.rpcPath = rpcPath
        self.adminPath = adminPath
        self.healthPath = healthPath
        self.nodeAdminPath = nodeAdminPath
    }

    /// geth-style: everything at `/`.
    public static func geth(_ baseURL: String) -> NodeEndpoints {
        NodeEndpoints(baseURL: baseURL, rpcPath: "/", adminPath: "/", healthPath: "/", nodeAdminPath: "/")
    }
}

/// A block head as the node reports it.
public struct BlockHead: Sendable, Equatable {
    public var number: UInt64
    public var hash: String

    public init(number: UInt64, hash: String) {
        self.number = number
        self.hash = hash
    }
}

/// JSON-RPC client for luxd/coreth and geth. Errors name the method and carry the node's message.
public struct NodeClient: Sendable {
    public let endpoints: NodeEndpoints
    public var timeout: Double
    let http = HTTPClient()

    public init(endpoints: NodeEndpoints, timeout: Double = 60) {
        self.endpoints = endpoints
        self.timeout = timeout
    }

    /// Calls `method` at `path` and returns the JSON `result` (any JSON value).
    public func call(_ method: String, params: [Any] = [], path: String? = nil, timeout: Double? = nil) async throws -> Any {
        let url = endpoints.baseURL + (path ?? endpoints.rpcPath)
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])
        let resp = try await http.send(HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                                   body: [UInt8](body), timeout: timeout ?? self.timeout))
        return try Self.decodeResult(method: method, url: url, response: resp)
    }

    /// Sends several calls in one JSON-RPC batch; results come back in request order.
    public func batch(_ calls: [(method: String, params: [Any])], path: String? = nil) async throws -> [Any] {
        let url = endpoints.baseURL + (path ?? endpoints.rpcPath)
        let reqs: [[String: Any]] = calls.enumerated().map { i, c in
            ["jsonrpc": "2.0", "id": i, "method": c.method, "params": c.params]
        }
        let body = try JSONSerialization.data(withJSONObject: reqs)
        let resp = try await http.send(HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                                   body: [UInt8](body), timeout: timeout))
        guard resp.status == 200 else {
            throw ChainsnapError(.rpc, "batch of \(calls.count) calls (\(calls.first?.method ?? "")) to \(Redact.url(url)) got HTTP \(resp.status): \(resp.bodyText.prefix(300))",
                                 retryable: resp.status >= 500 || resp.status == 429)
        }
        guard let arr = try JSONSerialization.jsonObject(with: Data(resp.body)) as? [[String: Any]] else {
            throw ChainsnapError(.rpc, "batch reply from \(Redact.url(url)) is not a JSON array",
                                 hint: "the node may not support JSON-RPC batches; lower the batch size to 1")
        }
        var out = [Any](repeating: NSNull(), count: calls.count)
        for item in arr {
            guard let id = item["id"] as? Int, id >= 0, id < calls.count else { continue }
            if let err = item["error"] as? [String: Any] {
                throw ChainsnapError(.rpc, "\(calls[id].method) failed: \(err["message"] as? String ?? "\(err)")", object: Redact.url(url))
            }
            out[id] = item["result"] ?? NSNull()
        }
        return out
    }

    static func decodeResult(method: String, url: String, response resp: HTTPResponse) throws -> Any {
        guard resp.status == 200 else {
            throw ChainsnapError(.rpc, "\(method) at \(Redact.url(url)) got HTTP \(resp.status): \(resp.bodyText.prefix(300))",
                                 hint: resp.status == 404 ? "check the node's RPC path (--rpc-path / --admin-path)" : nil,
                                 retryable: resp.status >= 500 || resp.status == 429)
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(resp.body), options: [.fragmentsAllowed]) as? [String: Any] else {
            throw ChainsnapError(.rpc, "\(method) at \(Redact.url(url)) returned something that is not JSON-RPC: \(resp.bodyText.prefix(200))")
        }
        if let err = obj["error"] as? [String: Any] {
            let msg = err["message"] as? String ?? "\(err)"
            throw ChainsnapError(.rpc, "\(method) failed: \(msg)", object: Redact.url(url))
        }
        return obj["result"] ?? NSNull()
    }

    /// `eth_blockNumber`.
    public func blockNumber() async throws -> UInt64 {
        let r = try await call("eth_blockNumber")
        guard let s = r as? String, let n = Self.parseQuantity(s) else {
            throw ChainsnapError(.rpc, "eth_blockNumber returned '\(r)', not a hex quantity")
        }
        return n
    }

    /// `eth_getBlockByNumber(n, false)` → number and hash; nil when the node does not have it.
    public func blockHead(_ number: UInt64?) async throws -> BlockHead? {
        let tag = number.map { "0x" + String($0, radix: 16) } ?? "latest"
        let r = try await call("eth_getBlockByNumber", params: [tag, false])
        guard let obj = r as? [String: Any] else { return nil }
        guard let ns = obj["number"] as? String, let n = Self.parseQuantity(ns), let h = obj["hash"] as? String else {
            throw ChainsnapError(.rpc, "eth_getBlockByNumber(\(tag)) returned a block without number/hash")
        }
        return BlockHead(number: n, hash: h.lowercased())
    }

    /// `debug_getRawBlock` for a range, batched; returns RLP bytes in order.
    public func rawBlocks(_ numbers: [UInt64]) async throws -> [[UInt8]] {
        let res = try await batch(numbers.map { (method: "debug_getRawBlock", params: ["0x" + String($0, radix: 16)]) })
        return try zip(numbers, res).map { n, r in
            guard let s = r as? String, let bytes = Self.parseHexBytes(s) else {
                throw ChainsnapError(.rpc, "debug_getRawBlock(\(n)) returned no block", hint: "is block \(n) beyond the node's head?")
            }
            return bytes
        }
    }

    /// `admin_importChain(file)` on the admin path; true when the node reports success.
    public func importChain(file: String, timeout: Double? = nil) async throws -> Bool {
        let r = try await call("admin_importChain", params: [file], path: endpoints.adminPath, timeout: timeout)
        if let b = r as? Bool { return b }
        if let d = r as? [String: Any], let b = d["success"] as? Bool { return b }
        return true
    }

    /// `admin.aliasChain` on luxd's node admin API.
    public func aliasChain(chain: String, alias: String) async throws {
        _ = try await call("admin.aliasChain", params: [["chain": chain, "alias": alias]], path: endpoints.nodeAdminPath)
    }

    /// `GET /ext/health` (luxd) — true on HTTP 200 with `healthy: true` (or any 200 when the body has no such field).
    public func isHealthy() async -> Bool {
        let url = endpoints.baseURL + endpoints.healthPath
        guard let r = try? await http.send(HTTPRequest(method: "GET", url: url, timeout: 5)), r.status == 200 else { return false }
        if let obj = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any], let h = obj["healthy"] as? Bool {
            return h
        }
        return true
    }

    /// `eth_syncing`: false when in sync; otherwise the node's progress object.
    public func syncing() async throws -> Any { try await call("eth_syncing") }

    public static func parseQuantity(_ s: String) -> UInt64? {
        guard s.hasPrefix("0x") else { return UInt64(s) }
        return UInt64(s.dropFirst(2), radix: 16)
    }

    public static func parseHexBytes(_ s: String) -> [UInt8]? {
        var t = Substring(s)
        if t.hasPrefix("0x") { t = t.dropFirst(2) }
        let u = Array(t.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        func nib(_ c: UInt8) -> UInt8? {
            switch c { case 48...57: c - 48; case 97...102: c - 87; case 65...70: c - 55; default: nil }
        }
        while i < u.count {
            guard let a = nib(u[i]), let b = nib(u[i + 1]) else { return nil }
            out.append(a << 4 | b)
            i += 2
        }
        return out
    }
}
