import Foundation
import KubeClient
import SnapshotCore
import Testing
import TestSupport

/// A 3-network fleet (one namespace and StatefulSet each) and list paging, against the stand-in API server.
@Suite("fleet status over several networks; list paging", .serialized, .enabled(if: KubeStandin.available))
struct FleetNetworksStandinTests {
    /// lux-mainnet (5 pods at 1000), lux-testnet (3 at 250000, luxd-2 40 behind), lux-acme-devnet (3 at 4200).
    static let fleet = ["--namespace", "lux-mainnet", "--replicas", "5", "--network", "lux-testnet=3@250000",
                        "--network", "lux-acme-devnet=3@4200", "--lag", "lux-testnet/luxd-2=40", "--rate", "0"]

    static func rows(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("--all-namespaces: rows per namespace, lag per network (not across networks), exit 1 naming the lagging pod")
    func threeNetworks() async throws {
        let k = try await offloaded { try KubeStandin(Self.fleet) }
        let kc = k.tokenKubeconfig()
        let r = try await FleetStandinTests.fleet(["status", "--kubeconfig", kc, "--all-namespaces", "--json", "--max-lag", "10"])
        #expect(r.status == 1, "\(r.output)")
        let rows = Self.rows(r.stdout)
        let byNS = Dictionary(grouping: rows) { $0["namespace"] as? String ?? "" }
        #expect(byNS.mapValues(\.count) == ["lux-mainnet": 5, "lux-testnet": 3, "lux-acme-devnet": 3], "\(byNS.mapValues(\.count))")
        for row in rows {
            let ns = row["namespace"] as? String ?? "", pod = row["pod"] as? String ?? ""
            let height = (row["height"] as? NSNumber)?.uint64Value, lag = (row["lag"] as? NSNumber)?.uint64Value
            let lagging = ns == "lux-testnet" && pod == "luxd-2"
            let base: UInt64 = ns == "lux-mainnet" ? 1000 : ns == "lux-testnet" ? 250000 : 4200
            #expect(height == (lagging ? base - 40 : base), "\(ns)/\(pod) height \(height ?? 0)")
            #expect(lag == (lagging ? 40 : 0), "\(ns)/\(pod): lag \(lag ?? 0) — counted against its own network's highest pod")
            #expect(row["ok"] as? Bool == !lagging)
        }
        #expect(r.stderr.contains("1 of 11 pods are not ok: lux-testnet/luxd-2 lag 40 > 10"), "\(r.stderr)")
        // Several -n: the same rows for those namespaces only; without the lagging network, exit 0.
        let two = try await FleetStandinTests.fleet(["status", "--kubeconfig", kc, "-n", "lux-mainnet", "-n", "lux-acme-devnet", "--json"])
        #expect(two.status == 0, "\(two.output)")
        #expect(Set(Self.rows(two.stdout).compactMap { $0["namespace"] as? String }) == ["lux-mainnet", "lux-acme-devnet"])
        #expect(Self.rows(two.stdout).count == 8)
        // The table: a header and one line per pod.
        let table = try await FleetStandinTests.fleet(["status", "--kubeconfig", kc, "--all-namespaces"])
        let lines = table.stdout.split(separator: "\n")
        #expect(table.status == 1 && lines.count == 12 && lines[0].hasPrefix("NAMESPACE"), "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("lux-testnet") && $0.contains("luxd-2") && $0.contains("BAD: lag 40 > 10") })
    }

    @Test("a list longer than a page: the client follows metadata.continue; kubectl's chunked get still works")
    func paging() async throws {
        let k = try await offloaded { try KubeStandin(["--replicas", "7", "--max-page", "3", "--rate", "0"]) }
        let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: k.tokenKubeconfig()))
        let pods = try await KubeClient(connection: conn).listPods(namespace: k.namespace)
        #expect(pods.map(\.name) == (0..<7).map { "luxd-\($0)" })
        var lists = (try await FleetStandinTests.state(k)["lists"] as? [[String: Any]]) ?? []
        #expect(lists.map { $0["continue"] as? String ?? "?" } == ["", "standin:3", "standin:6"], "\(lists)")
        #expect(lists.map { $0["items"] as? Int ?? 0 } == [3, 3, 1] && lists.allSatisfy { $0["limit"] as? Int == 500 })
        let small = try await KubeClient(connection: conn, listPageSize: 2).listPods(namespace: k.namespace)
        #expect(small.count == 7)
        lists = (try await FleetStandinTests.state(k)["lists"] as? [[String: Any]]) ?? []
        #expect(lists.suffix(4).map { $0["items"] as? Int ?? 0 } == [2, 2, 2, 1])
        // The binary: every pod of the StatefulSet in the table.
        let r = try await FleetStandinTests.fleet(["status", "--kubeconfig", k.tokenKubeconfig(), "--json"])
        #expect(r.status == 0 && Self.rows(r.stdout).count == 7, "\(r.output)")
        // The real kubectl pages with --chunk-size (its default is 500) and gets all 7.
        if FleetStandinTests.haveRealClients {
            let kubectl = try await offloaded {
                try run(Paths.packageRoot + "/.venv/bin/kubectl", ["--kubeconfig", k.tokenKubeconfig(), "get", "pods", "-o", "name", "--chunk-size=2"])
            }
            #expect(kubectl.status == 0 && kubectl.stdout.split(separator: "\n").count == 7, "\(kubectl.output)")
        }
    }

    @Test("a server whose continue token never ends: the list stops at the page bound with a clear error")
    func endlessContinue() async throws {
        let k = try await offloaded { try KubeStandin(["--replicas", "2", "--endless-continue", "--rate", "0"]) }
        let conn = try KubeConnection.resolve(KubeSelection(kubeconfig: k.tokenKubeconfig()))
        let e = await #expect(throws: ChainsnapError.self) {
            _ = try await KubeClient(connection: conn, maxListPages: 5).listPods(namespace: k.namespace)
        }
        #expect(e?.message.contains("listing pods in namespace lux-test did not end after 5 pages of 500 items") == true, "\(e?.message ?? "")")
        #expect(e?.hint?.contains("continue token") == true)
        #expect(((try await FleetStandinTests.state(k)["lists"] as? [Any]) ?? []).count == 5)
    }
}
