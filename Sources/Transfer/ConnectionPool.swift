import Foundation
internal import CCurl

/// Keeps libcurl multi handles, and with them their open connections (HTTP/1.1 keep-alive,
/// HTTP/2, TLS sessions), alive between `fetchAll` calls.
///
/// Without it every call opens new connections (TCP and TLS handshakes, TCP slow start),
/// which hurts callers that issue many small calls, such as ranged reads of an archive.
/// A store creates one pool and passes it in `TransferOptions.pool`; each running call
/// borrows one multi handle, so concurrent calls never share one.
public final class ConnectionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    /// Idle multi handles kept (each holds up to `connections` open connections).
    public let maxIdle: Int

    public init(maxIdle: Int = 32) {
        self.maxIdle = maxIdle
    }

    deinit {
        for m in idle { curl_multi_cleanup(m) }
    }

    /// An idle multi handle (with its warm connections) or a new one.
    func checkout() -> UnsafeMutableRawPointer? {
        lock.lock()
        let m = idle.popLast()
        lock.unlock()
        return m ?? curl_multi_init()
    }

    /// Returns a multi handle that has no easy handles attached any more.
    func checkin(_ m: UnsafeMutableRawPointer) {
        lock.lock()
        if idle.count < maxIdle {
            idle.append(m)
            lock.unlock()
        } else {
            lock.unlock()
            curl_multi_cleanup(m)
        }
    }

    /// Idle handles right now (for tests).
    public var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.count
    }
}
