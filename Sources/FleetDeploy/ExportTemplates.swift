import Foundation
import SnapshotCore

/// The chart's clone-PVC and export-Job templates (`--export-templates DIR`), read once.
public struct ExportTemplates: Sendable {
    public let pvc: String
    public let job: String

    public init(dir: String) throws {
        func read(_ f: String) throws -> String {
            let path = dir + "/" + f
            guard let d = FileManager.default.contents(atPath: path), d.count <= YAMLReading.maxBytes else {
                throw ChainsnapError(.notFound, "export template \(path) cannot be read", object: path,
                                     hint: "--export-templates names a folder holding clone-pvc.yaml and job.yaml (the chart mounts ConfigMap luxd-snapshot-export)")
            }
            return String(decoding: d, as: UTF8.self)
        }
        pvc = try read("clone-pvc.yaml")
        job = try read("job.yaml")
    }

    /// Both manifests as JSON, placeholders (`__NAME__`, `__SIZE__`, `__HEIGHT__`, `__HASH__`) filled in.
    /// The substitution is textual: templates quote `"__HEIGHT__"` and `"__HASH__"` so YAML reads them
    /// as strings (an unquoted 0x… hash would be read as a number), as the chart's do.
    public func manifests(name: String, size: String, height: UInt64, hash: String) throws -> (pvc: [UInt8], job: [UInt8]) {
        func fill(_ t: String, _ source: String) throws -> [UInt8] {
            let text = t.replacingOccurrences(of: "__NAME__", with: name).replacingOccurrences(of: "__SIZE__", with: size)
                .replacingOccurrences(of: "__HEIGHT__", with: String(height)).replacingOccurrences(of: "__HASH__", with: hash)
            let docs = try YAMLReading.documents(text, source: source)
            guard docs.count == 1, case .map = docs[0] else {
                throw ChainsnapError(.invalidArgument, "export template \(source) must hold exactly one manifest", object: source)
            }
            return [UInt8](try JSONSerialization.data(withJSONObject: Self.plain(docs[0])))
        }
        return (try fill(pvc, "clone-pvc.yaml"), try fill(job, "job.yaml"))
    }

    /// A YAML tree as the plain values `JSONSerialization` takes.
    public static func plain(_ v: FleetValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .list(let l): return l.map(plain)
        case .map(let m): return Dictionary(m.map { ($0.key, plain($0.value)) }, uniquingKeysWith: { _, last in last })
        }
    }
}
