import Exporter
import Metrics
import SnapshotCore
import Testing

/// The text format's details: escaping, value formatting, merging, reading back.
@Suite struct ExpositionTests {
    @Test func helpTypeAndEscaping() {
        let f = MetricFamily("chainsnap_x_bytes", .gauge, "line one\nback\\slash",
                             [Sample([("store", "s3://b/p \"q\"\n\\"), ("bad-label", "dropped")], 1234)])
        #expect(Exposition.render([f]) == """
            # HELP chainsnap_x_bytes line one\\nback\\\\slash
            # TYPE chainsnap_x_bytes gauge
            chainsnap_x_bytes{store="s3://b/p \\"q\\"\\n\\\\"} 1234

            """)
    }

    @Test func valuesAsGoReadsThem() {
        #expect(Exposition.format(3) == "3")
        #expect(Exposition.format(-7) == "-7")
        #expect(Exposition.format(1.5) == "1.5")
        #expect(Exposition.format(.nan) == "NaN")
        #expect(Exposition.format(.infinity) == "+Inf")
        #expect(Exposition.format(-.infinity) == "-Inf")
        #expect(Exposition.format(1_764_590_400.25) == "1764590400.25")
    }

    @Test func sameNameFamiliesMergeUnderOneHeader() {
        let a = MetricFamily("chainsnap_a", .gauge, "a", labels: [("k", "1")], value: 1)
        let b = MetricFamily("chainsnap_a", .gauge, "a", labels: [("k", "2")], value: 2)
        let text = Exposition.render([a, b])
        #expect(text.components(separatedBy: "# TYPE chainsnap_a").count == 2)
        #expect(text.contains("chainsnap_a{k=\"2\"} 2"))
    }

    @Test func namesFollowPrometheusRules() {
        #expect(MetricName.isValid("chainsnap_job_duration_seconds"))
        #expect(MetricName.isValid("a:b_c"))
        #expect(!MetricName.isValid("9abc"))
        #expect(!MetricName.isValid("a-b"))
        #expect(!MetricName.isValidLabel("__name__"))
        #expect(!MetricName.isValidLabel("a:b"))
        #expect(MetricName.isValidLabel("network"))
    }

    @Test func readerRoundTripsEscapedLabels() {
        let f = MetricFamily("chainsnap_y", .gauge, "y", [Sample([("job", "a\"b"), ("network", "x\\y\nz")], 42.5)])
        let r = ExpositionReader(Exposition.render([f]) + "garbage line without value\nchainsnap_z{a=\"1\"} +Inf 1700000000\n")
        #expect(r.value("chainsnap_y", labels: ["job": "a\"b", "network": "x\\y\nz"]) == 42.5)
        #expect(r.value("chainsnap_y", labels: ["job": "other"]) == nil)
        #expect(r.value("chainsnap_z") == .infinity)
    }

    @Test func failureReasonsAreBounded() {
        #expect(FailureReason(error: ChainsnapError(.notFound, "x")) == .notFound)
        #expect(FailureReason(error: ChainsnapError(.insufficientSpace, "x")).rawValue == "insufficient_space")
        #expect(FailureReason(error: ChainsnapError(.init("something-new"), "x")) == .other)
        struct Other: Error {}
        #expect(FailureReason(error: Other()) == .other)
        #expect(Set(FailureReason.allCases.map(\.rawValue)).count == FailureReason.allCases.count)
    }
}
