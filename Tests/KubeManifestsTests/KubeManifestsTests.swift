import KubeManifests
import SnapshotCore
import Testing

@Suite("YAMLNode")
struct YAMLNodeTests {
    @Test("maps, lists, nested lists of maps, empty collections, quoted scalars")
    func emit() {
        let doc: YAMLNode = .map([
            ("a", .string("x")),
            ("n", .int(3)),
            ("b", .bool(false)),
            ("empty", .map([])),
            ("none", .list([])),
            ("list", .list([.string("p"), .map([("k", .string("v")), ("l", .list([.int(1)]))])])),
            ("m", .map([("inner", .string("y"))])),
        ])
        #expect(doc.text == """
            a: "x"
            n: 3
            b: false
            empty: {}
            none: []
            list:
            - "p"
            - k: "v"
              l:
              - 1
            m:
              inner: "y"

            """)
    }

    @Test("a value cannot change the document's structure")
    func quoting() {
        let doc: YAMLNode = .map([("k", .string("a\n- b: c\"#x")), ("url", .string("s3://b/p"))])
        #expect(doc.text == "k: \"a\\n- b: c\\\"#x\"\nurl: \"s3://b/p\"\n")
    }
}

@Suite("Kubernetes names")
struct KubeNamesTests {
    @Test func names() {
        #expect(KubeNames.isDNSLabel("data-luxd-0") && !KubeNames.isDNSLabel("Data") && !KubeNames.isDNSLabel("-a") && !KubeNames.isDNSLabel(""))
        #expect(!KubeNames.isDNSLabel(String(repeating: "a", count: 64)) && KubeNames.isDNSLabel(String(repeating: "a", count: 63)))
        #expect(KubeNames.isDNSSubdomain("data.luxd-0") && !KubeNames.isDNSSubdomain("a..b"))
        #expect(KubeNames.label(prefix: "chainsnap-restore", "data.luxd-0") == "chainsnap-restore-data-luxd-0")
        let long = KubeNames.label(prefix: "chainsnap-reimport", String(repeating: "a", count: 43) + "-bbbb")
        #expect(long.count <= 63 && !long.hasSuffix("-"))
    }
}

@Suite("Restore and reimport Jobs")
struct RestoreJobsTests {
    static let base = PVCJob(pvc: "data-luxd-3", source: .url("s3://snaps/lux-mainnet"), namespace: "lux-mainnet",
                             snapshot: "20260101T000000Z-abc", image: "ghcr.io/luxfi/chainsnap:1", credentialsSecret: "store",
                             storeArguments: ["--endpoint", "https://nyc3.example", "--path-style"])

    @Test("restore Job: arguments, mounts, Secret, header")
    func restore() throws {
        let r = RestoreJob(job: Self.base, force: true)
        #expect(r.name == "chainsnap-restore-data-luxd-3")
        #expect(r.arguments == ["snapshot", "restore", "--from", "s3://snaps/lux-mainnet", "--snapshot", "20260101T000000Z-abc", "/data/db",
                                "--force", "--endpoint", "https://nyc3.example", "--path-style",
                                "--credentials-dir", PVCJob.credentialsMount])
        let y = r.yaml
        #expect(y.hasPrefix("# Restore 20260101T000000Z-abc from s3://snaps/lux-mainnet into PVC data-luxd-3, folder db.\n"))
        #expect(y.contains("# Follow with: kubectl logs -f job/chainsnap-restore-data-luxd-3 -n lux-mainnet\n"))
        for line in ["kind: \"Job\"", "  namespace: \"lux-mainnet\"", "claimName: \"data-luxd-3\"", "secretName: \"store\"",
                     "mountPath: \"/var/run/secrets/chainsnap/store\"", "defaultMode: 256", "automountServiceAccountToken: false",
                     "restartPolicy: \"Never\"", "app.kubernetes.io/component: \"restore\""] {
            #expect(y.contains(line), "\(line)")
        }
        #expect(!y.contains("restore-url"))
    }

    @Test("a URL from a Secret stays in the Secret: mounted, read with --from-file")
    func fromSecret() {
        var j = Self.base
        j.source = .secret(name: "snapshot-url")
        j.credentialsSecret = nil
        j.namespace = nil
        let r = RestoreJob(job: j)
        #expect(r.arguments == ["snapshot", "restore", "--from-file", PVCJob.restoreURLMount + "/url", "--snapshot", "20260101T000000Z-abc",
                                "/data/db", "--endpoint", "https://nyc3.example", "--path-style"])
        #expect(r.yaml.contains("secretName: \"snapshot-url\"") && r.yaml.contains("key: \"url\"") && !r.yaml.contains("namespace:"))
        #expect(r.yaml.contains("from the URL in Secret snapshot-url (key url)"))
    }

    @Test("reimport Job clears the restore folder and the listed chain data, never staking")
    func reimport() throws {
        let r = ReimportJob(job: Self.base, chainData: ["chainData"])
        #expect(r.arguments == ["node", "prepare-data", "--data-dir", "/data", "--chain-data", "db", "--chain-data", "chainData",
                                "--restore-path", "db", "--from", "s3://snaps/lux-mainnet", "--snapshot", "20260101T000000Z-abc",
                                "--clear-data", "--endpoint", "https://nyc3.example", "--path-style", "--credentials-dir", PVCJob.credentialsMount])
        #expect(ReimportJob(job: Self.base).arguments.filter { $0 == "--chain-data" }.count == 2, "default: the chart's db and chainData")
        #expect(r.name == "chainsnap-reimport-data-luxd-3" && r.yaml.contains("app.kubernetes.io/component: \"reimport\""))
        try r.validate()
        for bad in ["staking", "staking/x", "../db", "/db"] {
            #expect(throws: ChainsnapError.self, "\(bad)") { try ReimportJob(job: Self.base, chainData: [bad]).validate() }
        }
    }

    @Test("reimport without --chain-data clears the chart's paths (db and chainData); no Job says to scale down")
    func reimportDefaultsAndComments() {
        let r = ReimportJob(job: Self.base)
        #expect(r.arguments.contains("chainData") && r.arguments.filter { $0 == "--chain-data" }.count == 2, "\(r.arguments)")
        for yaml in [r.yaml, RestoreJob(job: Self.base).yaml] {
            #expect(!yaml.lowercased().contains("scale it down") && !yaml.contains("scaled down or"), "\(yaml)")
            #expect(yaml.contains("chainsnap fleet recover"), "\(yaml)")
        }
    }

    @Test("pull secrets, node selector and the pod's user/fsGroup reach the pod spec")
    func podSettings() {
        var j = Self.base
        j.imagePullSecrets = ["regcred"]
        j.nodeSelector = ["kubernetes.io/hostname": "node-3"]
        j.runAsUser = 1000
        j.fsGroup = 1000
        let y = RestoreJob(job: j).yaml
        #expect(y.contains("imagePullSecrets:\n      - name: \"regcred\"") || y.contains("- name: \"regcred\""), "\(y)")
        #expect(y.contains("\"kubernetes.io/hostname\": \"node-3\"") || y.contains("kubernetes.io/hostname: \"node-3\""), "\(y)")
        #expect(y.contains("runAsUser: 1000") && y.contains("runAsNonRoot: true") && y.contains("fsGroup: 1000"), "\(y)")
        j.runAsUser = -1
        #expect(throws: ChainsnapError.self) { try j.validate() }
    }

    @Test("validation names the flag to fix")
    func validation() throws {
        try Self.base.validate()
        func message(_ change: (inout PVCJob) -> Void) -> String? {
            var j = Self.base
            change(&j)
            do { try j.validate(); return nil } catch { return (error as? ChainsnapError)?.message }
        }
        #expect(message { $0.pvc = "Bad_Name" }?.contains("--pvc 'Bad_Name' is not a valid Kubernetes name") == true)
        #expect(message { $0.pvc = "data.luxd-0" } == nil)
        #expect(message { $0.namespace = "-x" }?.hasPrefix("--namespace") == true)
        #expect(message { $0.source = .secret(name: "A") }?.hasPrefix("--from-secret") == true)
        #expect(message { $0.name = String(repeating: "a", count: 64) }?.hasPrefix("--name") == true)
        #expect(message { $0.mountPath = "data" } == "--mount-path must be absolute")
        #expect(message { $0.subPath = "../staking" }?.hasPrefix("--sub-path") == true)
        #expect(message { $0.source = .url("https://key:secret@host/x") }?.contains("must not contain credentials") == true)
    }
}
