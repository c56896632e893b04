import Foundation
import Testing
import TestSupport

/// Runs Tests/K8sChecks/check_chart.py: renders charts/lux for every values file with Helm's engine,
/// lints it, validates every object and jobs/ against the Kubernetes 1.30 schemas (strict), and checks
/// the chainsnap arguments in them against the built binary. See the script's docstring for the list.
@Suite("Helm chart and jobs/ checks")
struct K8sChartTests {
    static let python = Paths.packageRoot + "/.venv/bin/python"
    static let required = ProcessInfo.processInfo.environment["CHAINSNAP_REQUIRE_SERVERS"] == "1"

    /// Whether the venv has the checker's packages (scripts/setup.sh installs them from .ci/pip-packages.txt).
    static var checkerAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let r = try? run(python, ["-c", "import helm_python, kubernetes_validate, yaml, jsonschema"])
        return r?.status == 0
    }

    @Test("chart renders, lints and validates for every values file; assertions hold; jobs/ validate")
    func chartChecks() throws {
        guard Self.checkerAvailable else {
            if Self.required {
                Issue.record("the chart checker needs \(Self.python) with helm-python-sdk, kubernetes-validate, pyyaml, jsonschema: run scripts/setup.sh")
            }
            return
        }
        let binary = Paths.chainsnapBinary
        #expect(FileManager.default.isExecutableFile(atPath: binary), "chainsnap binary not built at \(binary)")
        let started = Date()
        let r = try run(Self.python, [Paths.packageRoot + "/Tests/K8sChecks/check_chart.py", "--root", Paths.packageRoot, "--chainsnap", binary])
        let took = Date().timeIntervalSince(started)
        let failures = r.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.hasPrefix("Traceback") || $0.contains("Error") }
        #expect(r.status == 0, "check_chart.py failed:\n\(failures.prefix(40).joined(separator: "\n"))\n\(r.output.suffix(3000))")
        #expect(r.stdout.contains("PASSED: 0 failures"), "no summary line:\n\(r.output.suffix(2000))")
        #expect(took < 120, "the chart checks took \(Int(took)) s; keep them under a minute")
    }
}
