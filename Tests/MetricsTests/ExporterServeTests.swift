import Exporter
import Foundation
import Stores
import Testing
import TestSupport

/// `chainsnap exporter`'s run in-process: the port line, the endpoints, the stop on cancellation.
@Suite struct ExporterServeTests {
    @Test("serve: announces the port first, answers /healthz and /metrics from its looks, stops when cancelled")
    func serves() async throws {
        let t = TempDir("exporter-serve")
        let store = FileStore(root: t.path)
        let e = Exporter(stores: [.init(label: store.displayURL, store: store)], nodes: [], network: "mainnet",
                         interval: 1, timeout: 5, version: "test")
        let announced = LineLog(), logged = LineLog()
        let task = Task { try await e.serve(listen: "127.0.0.1:0", announce: { announced.add($0) }, log: { logged.add($0) }) }
        // Generous: with the whole suite running on 2 cores the first look can wait long for a thread.
        let deadline = Date().addingTimeInterval(180)
        while (announced.lines.isEmpty || e.completedLooks == 0) && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(e.completedLooks > 0, "no look finished within 180 s")
        let line = try #require(announced.lines.first)
        #expect(line.hasPrefix("chainsnap exporter listening on 127.0.0.1 port "), "\(line)")
        let port = try #require(Int(line.split(separator: " ").last ?? ""))
        #expect(logged.lines == ["chainsnap exporter: watching 1 store(s) and 0 node(s), every 1s, timeout 5s"], "\(logged.lines)")
        #expect(Servers.httpGet(port: port, path: "/healthz")?.status == 200)
        let metrics = try #require(Servers.httpGet(port: port, path: "/metrics"))
        #expect(metrics.status == 200 && String(decoding: metrics.body, as: UTF8.self).contains("chainsnap_store_up{store=\"\(store.displayURL)\"} 1"))
        task.cancel()
        try await task.value
        #expect(Servers.httpGet(port: port, path: "/healthz", timeout: 2) == nil, "the server stopped with the exporter")
    }
}
