import ArgumentParser
import CommandOptions
import Foundation
import KubeManifests
import SnapshotCore
import Testing
import TestSupport

@Suite("MetricsFlags, RestoreMetricsFlags, K8sJobOptions")
struct JobAndMetricsFlagsTests {
    @Test("a Pushgateway URL and metrics labels are checked before anything runs (exit 64)")
    func metricsValidation() throws {
        let push = try #require(usage(MetricsFlags.self, ["--pushgateway", "pushgateway:9091"]))
        #expect(push.exit == 64 && push.message.contains("pushgateway"), "\(push)")
        #expect(try MetricsFlags.parse(["--pushgateway", "http://pushgateway:9091", "--metrics-network", "mainnet"]).metricsNetwork == "mainnet")
        let label = try #require(usage(RestoreMetricsFlags.self, ["--metrics-label", "pod"]))
        #expect(label.exit == 64, "\(label)")
        let m = try RestoreMetricsFlags.parse(["--metrics-label", "pod=luxd-0", "--metrics-file", "/m.prom", "--metrics-label", "zone=a"])
        #expect(m.arguments == ["--metrics-file", "/m.prom", "--metrics-label", "pod=luxd-0", "--metrics-label", "zone=a"])
        #expect(try RestoreMetricsFlags.parse(m.arguments).arguments == m.arguments)
        #expect(try RestoreMetricsFlags.parse([]).arguments == [])
    }

    @Test("a run that decided not to restore writes its outcome to --metrics-file: success, or failure with the reason")
    func decided() throws {
        let t = TempDir("decided-metrics")
        let file = t.sub("restore.prom")
        let m = try RestoreMetricsFlags.parse(["--metrics-file", file, "--metrics-label", "pod=luxd-0"])
        m.decided(target: "/data/db", error: nil)
        let ok = try String(contentsOfFile: file, encoding: .utf8)
        #expect(ok.contains("chainsnap_restore_success{target=\"/data/db\",pod=\"luxd-0\"} 1"), "\(ok)")
        #expect(ok.contains("chainsnap_restore_running{target=\"/data/db\",pod=\"luxd-0\"} 0"), "\(ok)")
        m.decided(target: "/data/db", error: ChainsnapError(.targetNotEmpty, "not empty"))
        let failed = try String(contentsOfFile: file, encoding: .utf8)
        #expect(failed.contains("chainsnap_restore_success{target=\"/data/db\",pod=\"luxd-0\"} 0"), "\(failed)")
        #expect(failed.contains("result=\"failure\"") && failed.contains("reason=\"target_not_empty\""), "\(failed)")
        try RestoreMetricsFlags.parse([]).decided(target: "/data/db", error: nil)  // no --metrics-file: nothing written, no crash
    }

    @Test("a Job's store flags go into the Job; flags naming this machine's files or profiles are refused with what to use")
    func job() throws {
        let j = try K8sJobOptions.parse(["--pvc", "data-luxd-0", "--from", "s3://snaps/lux", "--endpoint", "http://minio:9000", "--path-style",
                                         "--node-selector", "disk=ssd", "--run-as-user", "1000", "-n", "lux-mainnet"]).job
        #expect(j.pvc == "data-luxd-0" && j.source == .url("s3://snaps/lux") && j.namespace == "lux-mainnet")
        #expect(j.storeArguments == ["--endpoint", "http://minio:9000", "--path-style"])
        #expect(j.nodeSelector == ["disk": "ssd"] && j.runAsUser == 1000)
        #expect(j.image == "ghcr.io/luxfi/chainsnap:\(toolVersion)")
        #expect(try K8sJobOptions.parse(["--pvc", "p", "--from-secret", "presigned"]).job.source == .secret(name: "presigned"))
        for (args, message) in [
            (["--credentials-dir", "/creds"], "for a Job pass --credentials-secret NAME"),
            (["--profile", "prod"], "which the Job's pod does not have"),
            (["--node-selector", "disk"], "--node-selector"),
            (["--from-secret", "s"], "give either --from or --from-secret, not both"),
        ] {
            let u = try #require(usage(K8sJobOptions.self, ["--pvc", "p", "--from", "s3://b/p"] + args), "\(args) was accepted")
            #expect(u.exit == 64 && u.message.contains(message), "\(args): \(u.message)")
        }
        let none = try #require(usage(K8sJobOptions.self, ["--pvc", "p"]))
        #expect(none.exit == 64, "no source: \(none.message)")
    }
}
