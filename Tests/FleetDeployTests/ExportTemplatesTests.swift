import FleetDeploy
import Foundation
import SnapshotCore
import Testing

/// `k8s volume-snapshot --export-templates DIR`: the chart's clone-PVC and Job templates, filled in.
@Suite("export templates")
struct ExportTemplatesTests {
    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-templates-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("placeholders are filled in and the manifests come out as JSON objects")
    func fills() throws {
        let dir = try folder([
            "clone-pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: __NAME__}\nspec: {resources: {requests: {storage: __SIZE__}}}\n",
            "job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {name: __NAME__}\nspec: {template: {spec: {containers: [{args: [--height, \"__HEIGHT__\", --block-hash, \"__HASH__\"]}]}}}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pvc, job) = try ExportTemplates(dir: dir).manifests(name: "data-luxd-0-x", size: "500Gi", height: 1234, hash: "0xabc")
        let p = try #require(JSONSerialization.jsonObject(with: Data(pvc)) as? [String: Any])
        #expect((p["metadata"] as? [String: Any])?["name"] as? String == "data-luxd-0-x")
        let text = String(decoding: job, as: UTF8.self)
        #expect(text.contains("\"1234\"") && text.contains("0xabc") && !text.contains("__"))
    }

    @Test("a missing template or one with two documents is a clear error")
    func refuses() throws {
        let none = try folder([:])
        defer { try? FileManager.default.removeItem(atPath: none) }
        #expect { try ExportTemplates(dir: none) } throws: { ($0 as? ChainsnapError)?.message.contains("clone-pvc.yaml cannot be read") == true }
        let two = try folder(["clone-pvc.yaml": "a: 1\n---\nb: 2\n", "job.yaml": "kind: Job\n"])
        defer { try? FileManager.default.removeItem(atPath: two) }
        #expect { try ExportTemplates(dir: two).manifests(name: "n", size: "1Gi", height: 1, hash: "0x1") } throws: {
            ($0 as? ChainsnapError)?.message.contains("exactly one manifest") == true
        }
    }
}
