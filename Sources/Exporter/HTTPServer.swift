#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import SnapshotCore
import Synchronization

/// A small HTTP/1.1 server on POSIX sockets for `/metrics` and `/healthz`: IPv4, one response
/// per connection (`Connection: close`), request heads bounded by `HTTPRequestHead.maxBytes`,
/// 5 s to send them, at most 4 connections served at once. The socket calls live here and
/// nowhere else.
public final class HTTPServer: Sendable {
    private let fd: Int32
    /// The port it listens on (the one asked for, or the one the kernel chose for port 0).
    public let port: Int
    private let stopped = Atomic<Bool>(false)
    private let slots = DispatchSemaphore(value: 4)

    /// Binds `listen`: `:PORT` (every interface), `HOST:PORT` (an IPv4 address, or `localhost`).
    public init(listen: String) throws {
        let (host, port) = try Self.parseListen(listen)
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw Self.error("socket", listen) }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(s)
            throw ChainsnapError(.invalidArgument, "--listen '\(listen)': '\(host)' is not an IPv4 address",
                                 hint: "use :9464 (every interface) or 127.0.0.1:9464")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, Glibc.listen(s, 64) == 0 else {
            let e = Self.error("bind", listen)
            close(s)
            throw e
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        self.fd = s
        self.port = Int(UInt16(bigEndian: bound.sin_port))
    }

    /// `:9464` → (0.0.0.0, 9464); `127.0.0.1:9464`; `localhost:9464`.
    public static func parseListen(_ s: String) throws -> (host: String, port: Int) {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ChainsnapError(.invalidArgument, "--listen '\(s)' is not HOST:PORT or :PORT", hint: "e.g. --listen :9464")
        }
        var host = String(s[..<colon])
        if host.isEmpty || host == "*" { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        return (host, port)
    }

    static func error(_ call: String, _ listen: String) -> ChainsnapError {
        let e = errno
        return ChainsnapError(.io, "cannot listen on \(listen): \(call) failed: \(String(cString: strerror(e)))",
                              hint: e == EADDRINUSE ? "another process holds this port; choose another --listen port" : nil)
    }

    /// Accepts connections until `stop()`, answering each with `handler` on a worker thread.
    /// Blocks the calling thread: run it on a thread of its own.
    public func serve(_ handler: @escaping @Sendable (HTTPRequestHead) -> HTTPReply) {
        while !stopped.load(ordering: .relaxed) {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if stopped.load(ordering: .relaxed) { return }
                usleep(10_000)
                continue
            }
            slots.wait()
            DispatchQueue.global().async { [slots] in
                Self.answer(c, handler)
                close(c)
                slots.signal()
            }
        }
    }

    /// Stops accepting (the listening socket is shut down; connections being answered finish).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_RDWR))
    }

    deinit { close(fd) }

    /// Reads one request head (5 s at most) and writes the reply.
    static func answer(_ c: Int32, _ handler: (HTTPRequestHead) -> HTTPReply) {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 2048)
        while true {
            switch HTTPRequestHead.parse(got) {
            case .ok(let head):
                let reply = handler(head)
                send(c, reply.encoded(head: head.method == "HEAD"))
                return
            case .bad(let status):
                send(c, HTTPReply(status: status, body: "bad request\n").encoded())
                return
            case .incomplete:
                let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { send(c, HTTPReply(status: 408, body: "timeout\n").encoded()) }
                    return
                }
                got.append(contentsOf: buf[0..<n])
            }
        }
    }

    static func send(_ c: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}
