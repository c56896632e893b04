#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Metrics
import NodeRPC
import SnapshotCore
import Stores
import Synchronization

/// `chainsnap exporter`: looks at stores and nodes in the background, every `interval` seconds,
/// each look bounded by `timeout`, and serves the cached result. A scrape never waits for a
/// store or node: it renders what the cache holds. A look that times out or fails shows as
/// `chainsnap_store_up 0` / `chainsnap_node_up 0`; a look still hanging past its timeout is not
/// started again until it returns, so a dead store cannot pile up requests.
public final class Exporter: Sendable {
    /// One configured store: its URL as labelled and the opened store.
    public struct StoreTarget: Sendable {
        public var label: String
        public var store: any ObjectStore
        public init(label: String, store: any ObjectStore) {
            self.label = label
            self.store = store
        }
    }

    public let stores: [StoreTarget]
    public let nodes: [String]
    public let network: String?
    public let interval: Double
    public let timeout: Double
    public let version: String

    private let storeCache: Mutex<[String: StoreStatus]> = Mutex([:])
    private let nodeCache: Mutex<[String: NodeProbe]> = Mutex([:])
    private let inFlight: Mutex<Set<String>> = Mutex([])
    private let looks = Atomic<Int>(0)

    public init(stores: [StoreTarget], nodes: [String], network: String?, interval: Double, timeout: Double, version: String) {
        self.stores = stores
        self.nodes = nodes
        self.network = network
        self.interval = interval
        self.timeout = timeout
        self.version = version
    }

    /// The `/metrics` text from the cache, now.
    public func exposition(now: Double = wallClock()) -> String {
        let s = storeCache.withLock { c in stores.compactMap { c[$0.label] } }
        let n = nodeCache.withLock { c in nodes.compactMap { c[$0] } }
        return Exposition.render(ExporterMetrics.families(stores: s, nodes: n, network: network, now: now, version: version))
    }

    /// Looks completed so far (every store and node counts one per look).
    public var completedLooks: Int { looks.load(ordering: .relaxed) }

    /// Answers `/metrics`, `/healthz` and `/`.
    public func handle(_ head: HTTPRequestHead) -> HTTPReply {
        guard head.method == "GET" || head.method == "HEAD" else {
            return HTTPReply(status: 405, body: "only GET and HEAD\n", allow: "GET, HEAD")
        }
        switch head.path {
        case "/metrics": return HTTPReply(status: 200, contentType: Exposition.contentType, body: exposition())
        case "/healthz": return HTTPReply(status: 200, body: "ok\n")
        case "/": return HTTPReply(status: 200, contentType: "text/html; charset=utf-8",
                                   body: "<html><body><h1>chainsnap exporter</h1><a href=\"/metrics\">/metrics</a></body></html>\n")
        default: return HTTPReply(status: 404, body: "not found: try /metrics or /healthz\n")
        }
    }

    /// Refreshes every target once (each bounded by `timeout`), then every `interval`, until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await refreshAll()
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// One round: every store and node looked at in parallel; returns when each finished or timed out.
    public func refreshAll() async {
        await withTaskGroup(of: Void.self) { g in
            for t in stores { g.addTask { await self.refreshStore(t) } }
            for n in nodes { g.addTask { await self.refreshNode(n) } }
        }
    }

    func refreshStore(_ t: StoreTarget) async {
        let key = "store:" + t.label
        let started = wallClock()
        let result = await bounded(key) { await StoreStatus.look(t.store, label: t.label) }
        var s: StoreStatus
        switch result {
        case .done(let v): s = v
        case .timedOut: s = StoreStatus(store: t.label, up: false, error: "timed out after \(timeout) s")
        case .stillRunning: s = StoreStatus(store: t.label, up: false, error: "the previous look has not returned")
        }
        s.refreshed = wallClock()
        s.seconds = s.refreshed - started
        let status = s
        storeCache.withLock { $0[t.label] = status }
    }

    func refreshNode(_ url: String) async {
        let perRequest = max(1, timeout / 3)
        let result = await bounded("node:" + url) { await NodeProbe.probe(url, timeout: perRequest) }
        let p: NodeProbe = switch result {
        case .done(let v): v
        case .timedOut: NodeProbe(url: url, healthy: false, error: "timed out after \(timeout) s")
        case .stillRunning: NodeProbe(url: url, healthy: false, error: "the previous look has not returned")
        }
        nodeCache.withLock { $0[url] = p }
    }

    enum Bounded<T: Sendable>: Sendable { case done(T), timedOut, stillRunning }

    /// Runs `body` in a task of its own and waits at most `timeout` seconds for it. The task keeps
    /// running after a timeout (blocking network calls cannot be interrupted) and `key` stays
    /// busy until it returns.
    func bounded<T: Sendable>(_ key: String, _ body: @escaping @Sendable () async -> T) async -> Bounded<T> {
        guard inFlight.withLock({ $0.insert(key).inserted }) else { return .stillRunning }
        let once = Once<Bounded<T>>()
        return await withCheckedContinuation { (cont: CheckedContinuation<Bounded<T>, Never>) in
            once.arm(cont)
            Task {
                let v = await body()
                self.inFlight.withLock { _ = $0.remove(key) }
                self.looks.add(1, ordering: .relaxed)
                once.resume(.done(v))
            }
            // A Dispatch timer, not Task.sleep: it fires even when the cooperative pool is busy.
            DispatchQueue.global().asyncAfter(deadline: .now() + self.timeout) { once.resume(.timedOut) }
        }
    }
}

/// A continuation resumed by whichever caller comes first.
final class Once<T: Sendable>: Sendable {
    private let cont = Mutex<CheckedContinuation<T, Never>?>(nil)
    func arm(_ c: CheckedContinuation<T, Never>) { cont.withLock { $0 = c } }
    func resume(_ v: T) {
        let c = cont.withLock { c -> CheckedContinuation<T, Never>? in defer { c = nil }; return c }
        c?.resume(returning: v)
    }
}

/// Unix time in seconds.
public func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
