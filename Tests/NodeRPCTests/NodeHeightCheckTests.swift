import NodeRPC
import Testing

@Suite("NodeHeightCheck")
struct NodeHeightCheckTests {
    @Test("a node passes when healthy, answering, synced and within the lag of the highest")
    func check() {
        let probes = [
            NodeProbe(url: "a", healthy: true, height: 100, syncing: false),
            NodeProbe(url: "b", healthy: true, height: 95, syncing: false),
            NodeProbe(url: "c", healthy: true, height: 89, syncing: false),
            NodeProbe(url: "d", healthy: true, height: 100, syncing: true),
            NodeProbe(url: "e", healthy: false, height: 100, syncing: false),
            NodeProbe(url: "f", healthy: true, error: "connection refused"),
        ]
        let c = NodeHeightCheck(probes: probes, maxLag: 10)
        #expect(c.top == 100)
        #expect(probes.map(c.lag) == [0, 5, 11, 0, 0, nil])
        #expect(probes.map(c.isOK) == [true, true, false, false, false, false])
        #expect(c.failures == 4)
        #expect(NodeHeightCheck(probes: [], maxLag: 0).top == 0)
    }
}
