import Fleet
import Foundation
import KubeClient
import NodeRPC
import Testing
import TestSupport

/// `chainsnap k8s volume-snapshot` (the built binary) against the stand-in API server, whose
/// VolumeSnapshot endpoint validates every created object against the external-snapshotter CRD
/// (Tests/K8sChecks/crds) and its CEL rules, and answers 422 otherwise.
@Suite("k8s volume-snapshot against the stand-in Kubernetes API", .serialized, .enabled(if: KubeStandin.available))
struct VolumeSnapshotStandinTests {
    static func snap(_ args: [String]) async throws -> RunResult {
        try await offloaded { try run(Paths.chainsnapBinary, ["k8s", "volume-snapshot"] + args) }
    }

    static func client(_ k: KubeStandin) throws -> KubeClient {
        KubeClient(connection: try KubeConnection.resolve(KubeSelection(kubeconfig: k.tokenKubeconfig(), context: nil, namespace: nil)))
    }

    static func nodeHead(_ k: KubeStandin) async throws -> (port: Int, height: UInt64) {
        let data = try await offloaded { try k.stateData() }
        let state = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let port = ((state["pods"] as? [String: [String: Any]])?["luxd-0"]?["nodePort"] as? Int) ?? 0
        let n = try await NodeClient(endpoints: NodeEndpoints(baseURL: "http://127.0.0.1:\(port)")).blockNumber()
        return (port, n)
    }

    /// The stand-in's record: every POSTed VolumeSnapshot body as received, and the names that exist.
    static func sent(_ kube: KubeClient) async throws -> [String: Any] {
        let r = try await kube.send("GET", "/_test/volumesnapshots", object: "the stand-in's VolumeSnapshot record")
        return try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] ?? [:]
    }

    @Test("through the pod proxy and --rpc: annotations carry the node's height and hash; prune keeps 3, never others' snapshots")
    func takesAndPrunes() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--replicas", "1", "--seed-snapshots", "4", "--snapshot-ready-after", "0.6"]) }
        let kc = k.tokenKubeconfig()
        let (port, height) = try await Self.nodeHead(k)
        let hash = "0x" + String(repeating: "0", count: 64 - String(height, radix: 16).count) + String(height, radix: 16)
        let r = try await Self.snap(["--kubeconfig", kc, "--pvc", "data-luxd-0", "--pod", "luxd-0", "--class", "csi-snapclass",
                                     "--network", "testnet", "--chain-id", "96368", "--keep", "3", "--wait", "30", "--interval", "0.2", "--json"])
        #expect(r.status == 0, "\(r.output)")
        let out = try #require(jsonLines(r.stdout).last, "no JSON outcome: \(r.output)")
        let name = try #require(out["name"] as? String)
        #expect((out["height"] as? NSNumber)?.uint64Value == height && out["blockHash"] as? String == hash, "\(out)")
        #expect(out["readyToUse"] as? Bool == true && out["restoreSize"] as? String == "500Gi")
        #expect(Set(out["pruned"] as? [String] ?? []) == ["data-luxd-0-old-0", "data-luxd-0-old-1"], "\(out)")
        #expect(r.stderr.contains("pruning lux-test/data-luxd-0-old-0"), "progress lines go to stderr with --json: \(r.output)")

        let kube = try Self.client(k)
        let made = try #require(try await kube.volumeSnapshot(namespace: k.namespace, name: name))
        let a = made.metadata.annotations ?? [:]
        #expect(a[VolumeSnapshotPlan.Key.height] == String(height) && a[VolumeSnapshotPlan.Key.hash] == hash, "\(a)")
        #expect(a[VolumeSnapshotPlan.Key.chainId] == "96368" && a[VolumeSnapshotPlan.Key.network] == "testnet" && a[VolumeSnapshotPlan.Key.pod] == "luxd-0")
        #expect(made.spec.volumeSnapshotClassName == "csi-snapclass" && made.spec.source.persistentVolumeClaimName == "data-luxd-0")
        #expect(made.metadata.labels?["chainsnap.io/pvc"] == "data-luxd-0" && made.metadata.labels?["app.kubernetes.io/managed-by"] == "chainsnap")
        // What was sent, as received: the CRD's required fields and one source (the stand-in also
        // validated it against the full CRD schema, or the create would have been a 422).
        let state = try await Self.sent(kube)
        let body = try #require((state["bodies"] as? [[String: Any]])?.first)
        #expect(body["apiVersion"] as? String == "snapshot.storage.k8s.io/v1" && body["kind"] as? String == "VolumeSnapshot")
        #expect(((body["spec"] as? [String: Any])?["source"] as? [String: Any])?.keys.sorted() == ["persistentVolumeClaimName"])
        #expect(body["status"] == nil, "a create sends no status")

        // Again through --rpc (the chart's way): one more snapshot, the oldest chainsnap one goes.
        try await Task.sleep(nanoseconds: 1_100_000_000)  // names have one-second resolution
        let r2 = try await Self.snap(["--kubeconfig", kc, "--pvc", "data-luxd-0", "--rpc", "http://127.0.0.1:\(port)",
                                      "--keep", "3", "--wait", "30", "--interval", "0.2"])
        #expect(r2.status == 0, "\(r2.output)")
        #expect(r2.stdout.contains("at block \(height) \(hash)") && r2.stdout.contains("pruned 1 (data-luxd-0-old-2)"), "\(r2.output)")
        let names = Set((try await Self.sent(kube)["names"] as? [String]) ?? [])
        #expect(names.count == 4 && names.contains("someone-elses-snapshot") && names.contains("data-luxd-0-old-3") && names.contains(name),
                "3 chainsnap snapshots of data-luxd-0 and the one chainsnap did not take: \(names.sorted())")
    }

    @Test("a missing PVC, a 403, a snapshot that never becomes ready and a cluster without the CRD give clear errors")
    func clearErrors() async throws {
        let k = try await offloaded { try KubeStandin(["--rate", "0", "--replicas", "1", "--seed-snapshots", "2", "--snapshot-never-ready"]) }
        let kc = k.tokenKubeconfig()
        let missing = try await Self.snap(["--kubeconfig", kc, "--pvc", "data-luxd-9", "--pod", "luxd-0", "--keep", "1"])
        #expect(missing.status == 1 && missing.stderr.contains("PVC lux-test/data-luxd-9 does not exist") && missing.stderr.contains("get pvc"),
                "\(missing.output)")
        let denied = try await Self.snap(["--kubeconfig", k.tokenKubeconfig(k.readonlyToken), "--pvc", "data-luxd-0", "--pod", "luxd-0"])
        #expect(denied.status == 1 && denied.stderr.contains("may not create volumesnapshot lux-test/data-luxd-0-")
                && denied.stderr.contains("HTTP 403") && denied.stderr.contains("jobs/volume-snapshot-cronjob.yaml"), "\(denied.output)")
        let stuck = try await Self.snap(["--kubeconfig", kc, "--pvc", "data-luxd-0", "--pod", "luxd-0", "--keep", "1", "--wait", "1", "--interval", "0.2"])
        #expect(stuck.status == 1 && stuck.stderr.contains("was not readyToUse after 1 s") && stuck.stderr.contains("csi driver timed out")
                && stuck.stderr.contains("nothing was pruned"), "\(stuck.output)")
        let kube = try Self.client(k)
        let left = try await kube.listVolumeSnapshots(namespace: k.namespace, labelSelector: "chainsnap.io/pvc=data-luxd-0")
        #expect(left.count == 3, "the two old snapshots stay when the new one is not ready: \(left.map(\.metadata.name))")
        // The stand-in's CRD check is real: an unknown field or two sources are refused (422).
        for bad in [#"{"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"x"},"spec":{"source":{"persistentVolumeClaimName":"data-luxd-0"},"retain":true}}"#,
                    #"{"apiVersion":"snapshot.storage.k8s.io/v1","kind":"VolumeSnapshot","metadata":{"name":"y"},"spec":{"source":{"persistentVolumeClaimName":"p","volumeSnapshotContentName":"c"}}}"#] {
            let r = try await kube.send("POST", "/apis/snapshot.storage.k8s.io/v1/namespaces/lux-test/volumesnapshots", body: Array(bad.utf8), object: "bad")
            #expect(r.status == 422, "\(r.status) \(r.bodyText)")
        }
        let usage = try await Self.snap(["--kubeconfig", kc, "--pvc", "data-luxd-0"])
        #expect(usage.status == 64 && usage.stderr.contains("give one of --rpc URL"), "\(usage.output)")

        let bare = try await offloaded { try KubeStandin(["--rate", "0", "--replicas", "1", "--no-snapshot-api"]) }
        let none = try await Self.snap(["--kubeconfig", bare.tokenKubeconfig(), "--pvc", "data-luxd-0", "--pod", "luxd-0"])
        #expect(none.status == 1 && none.stderr.contains("does not serve snapshot.storage.k8s.io/v1") && none.stderr.contains("external-snapshotter"),
                "\(none.output)")
    }

    static let clonePVC = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: __NAME__
        spec:
          accessModes: ["ReadWriteOnce"]
          dataSource:
            apiGroup: snapshot.storage.k8s.io
            kind: VolumeSnapshot
            name: __NAME__
          resources:
            requests:
              storage: __SIZE__
        """
    static let job = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: __NAME__
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: snapshot-create
                  image: ghcr.io/luxfi/chainsnap:0.1.0
                  command: ["chainsnap"]
                  args: ["snapshot", "create", "/data/db", "--to", "s3://b/p", "--height", "__HEIGHT__", "--block-hash", "__HASH__"]
              volumes:
                - name: data
                  persistentVolumeClaim:
                    claimName: __NAME__
                - name: store-credentials
                  secret:
                    secretName: snapshot-store
                    defaultMode: 0400
        """

    @Test("--export-templates: clone PVC from the ready snapshot, export Job with its height and hash, both deleted after; a failed Job fails the run")
    func exports() async throws {
        for fails in [false, true] {
            let k = try await offloaded { try KubeStandin(["--rate", "0", "--replicas", "1", "--snapshot-ready-after", "0.3", "--export-job-seconds", "0.5"]
                                                          + (fails ? ["--export-job-fails"] : [])) }
            let dir = k.dir.sub("export")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Self.clonePVC.write(toFile: dir + "/clone-pvc.yaml", atomically: true, encoding: .utf8)
            try Self.job.write(toFile: dir + "/job.yaml", atomically: true, encoding: .utf8)
            let (_, height) = try await Self.nodeHead(k)
            let r = try await Self.snap(["--kubeconfig", k.tokenKubeconfig(), "--pvc", "data-luxd-0", "--pod", "luxd-0", "--keep", "2",
                                         "--wait", "30", "--interval", "0.2", "--export-templates", dir, "--export-timeout", "30", "--json"])
            let rec = try await Self.sent(try Self.client(k))
            let pvcs = rec["pvcs"] as? [[String: Any]] ?? []
            let jobs = rec["jobs"] as? [[String: Any]] ?? []
            let name = (rec["names"] as? [String])?.first ?? "?"
            #expect(pvcs.count == 1 && jobs.count == 1, "\(r.output)")
            let ds = (pvcs.first?["spec"] as? [String: Any])?["dataSource"] as? [String: Any]
            #expect(ds?["name"] as? String == name && ds?["kind"] as? String == "VolumeSnapshot")
            let storage = (((pvcs.first?["spec"] as? [String: Any])?["resources"] as? [String: Any])?["requests"] as? [String: Any])?["storage"]
            #expect(storage as? String == "500Gi", "the clone asks for the snapshot's restoreSize")
            let pod = ((jobs.first?["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
            let args = ((pod?["containers"] as? [[String: Any]])?.first?["args"] as? [String]) ?? []
            let hash = "0x" + String(repeating: "0", count: 64 - String(height, radix: 16).count) + String(height, radix: 16)
            #expect(args.suffix(4) == ["--height", String(height), "--block-hash", hash], "\(args)")
            let secret = ((pod?["volumes"] as? [[String: Any]])?.last?["secret"] as? [String: Any])?["defaultMode"] as? Int
            #expect(secret == 0o400, "YAML's 0400 is octal, as kubectl reads it: got \(secret.map(String.init) ?? "nil")")
            #expect(Set(rec["deleted"] as? [String] ?? []) == ["job/\(name)", "persistentvolumeclaim/\(name)"] && (rec["left"] as? [String])?.isEmpty == true,
                    "the Job and the clone are deleted whatever happened: \(rec["deleted"] ?? "nil")")
            if fails {
                #expect(r.status == 1 && r.stderr.contains("export Job lux-test/\(name) failed"), "\(r.output)")
            } else {
                let last = try jsonLines(r.stdout).last
                #expect(r.status == 0 && last?["exported"] as? Bool == true, "\(r.output)")
            }
        }
    }
}
