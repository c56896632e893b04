import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bootstrap peers given as in-cluster DNS names (`luxd-1.luxd-headless.ns.svc.cluster.local:9651`),
/// resolved to `IP:PORT` at start, because luxd's bootstrap flags take addresses, not names.
public enum SupervisorPeers {
    /// Resolves each `HOST:PORT` to its first IPv4 (else IPv6) address. Peers that do not
    /// resolve yet (pods not scheduled) and the pod's own name (`selfHost`, e.g. `luxd-0`) are left out.
    public static func resolve(_ peers: [String], selfHost: String?) -> (resolved: [String], skipped: [String]) {
        var resolved: [String] = [], skipped: [String] = []
        for peer in peers {
            guard let colon = peer.lastIndex(of: ":"), let port = UInt16(peer[peer.index(after: colon)...]) else {
                skipped.append(peer)
                continue
            }
            let host = String(peer[..<colon])
            if let selfHost, !selfHost.isEmpty, host == selfHost || host.hasPrefix(selfHost + ".") {
                skipped.append(peer)
                continue
            }
            if let ip = address(of: host) {
                resolved.append(ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
            } else {
                skipped.append(peer)
            }
        }
        return (resolved, skipped)
    }

    /// The peers other than the pod itself (`selfHost`: the first label of its host name),
    /// resolved; peers that do not resolve yet are retried every 2 s for up to `wait` seconds,
    /// then left out. `others` is how many peers were not the pod itself.
    public static func resolve(_ peers: [String], selfHost: String?, wait: Double) async
        -> (resolved: [String], skipped: [String], others: Int) {
        let others = peers.filter { p in !(selfHost.map { p.hasPrefix($0 + ".") || p.hasPrefix($0 + ":") } ?? false) }
        let deadline = Date().addingTimeInterval(wait)
        var (ok, skipped) = resolve(others, selfHost: selfHost)
        while !skipped.isEmpty && Date() < deadline {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            (ok, skipped) = resolve(others, selfHost: selfHost)
        }
        return (ok, skipped, others.count)
    }

    /// Each peer's resolved `IP:PORT`, in the order given (so node IDs listed beside the peers stay
    /// paired with them); nil for the pod itself and for peers still unresolved after `wait` seconds.
    public static func resolveAligned(_ peers: [String], selfHost: String?, wait: Double) async -> [String?] {
        func isSelf(_ p: String) -> Bool { selfHost.map { !$0.isEmpty && (p.hasPrefix($0 + ".") || p.hasPrefix($0 + ":")) } ?? false }
        func once() -> [String?] { peers.map { p in isSelf(p) ? nil : resolve([p], selfHost: selfHost).resolved.first } }
        let deadline = Date().addingTimeInterval(wait)
        var out = once()
        while zip(peers, out).contains(where: { !isSelf($0.0) && $0.1 == nil }) && Date() < deadline {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            out = once()
        }
        return out
    }

    /// The pod's own short host name (`HOSTNAME`, else the system's), e.g. `luxd-0`.
    public static var selfHost: String? {
        let me = ProcessInfo.processInfo.environment["HOSTNAME"] ?? ProcessInfo.processInfo.hostName
        return me.split(separator: ".").first.map(String.init)
    }

    /// The first address `getaddrinfo` gives for `host`, IPv4 preferred.
    public static func address(of host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return nil }
        defer { freeaddrinfo(first) }
        var v6: String?
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            var buf = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(ai.pointee.ai_addr, ai.pointee.ai_addrlen, &buf, socklen_t(buf.count), nil, 0, NI_NUMERICHOST) == 0 {
                let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if ai.pointee.ai_family == AF_INET { return s }
                if v6 == nil { v6 = s }
            }
            p = ai.pointee.ai_next
        }
        return v6
    }
}
