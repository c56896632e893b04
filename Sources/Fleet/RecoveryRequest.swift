import Foundation
import NodeData
import SnapshotCore

/// A one-shot recovery request for one pod, written by `fleet recover` into the ConfigMap
/// `chainsnap-recovery` (key = pod name) and honoured once by that pod's init container
/// (`node prepare-data --recovery-dir`, where the chart mounts the ConfigMap).
public struct RecoveryRequest: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
        /// Wipe the chain data paths, then restore a snapshot (`from`, else the chart's `--from`).
        case restore
        /// Wipe the chain data paths; the supervisor's RLP import rebuilds the chain.
        case rlp
    }

    /// A random nonce: the pod records it after honouring the request, so it never repeats.
    public var id: String
    public var mode: Mode
    public var from: String?
    public var snapshot: String?
    public var requestedAt: String

    public init(id: String, mode: Mode, from: String? = nil, snapshot: String? = nil, requestedAt: String) {
        self.id = id
        self.mode = mode
        self.from = from
        self.snapshot = snapshot
        self.requestedAt = requestedAt
    }

    /// A new request with a random id.
    public static func make(mode: Mode, from: String?, snapshot: String?, now: Date = Date()) -> RecoveryRequest {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let id = UUID().uuidString.lowercased()
        return RecoveryRequest(id: id, mode: mode, from: from, snapshot: snapshot, requestedAt: f.string(from: now))
    }

    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Parses and checks one ConfigMap value (at most 64 KiB; an id of letters, digits and dashes).
    public static func parse(_ text: String, key: String) throws -> RecoveryRequest {
        guard text.utf8.count <= 64 << 10 else {
            throw ChainsnapError(.invalidArgument, "recovery request \(key) is larger than 64 KiB", object: key)
        }
        let r: RecoveryRequest
        do { r = try JSONDecoder().decode(RecoveryRequest.self, from: Data(text.utf8)) } catch {
            throw ChainsnapError(.invalidArgument, "recovery request \(key) is not {id, mode: restore|rlp, from, snapshot, requestedAt} JSON",
                                 object: key, hint: "write it with `chainsnap fleet recover`", underlying: error)
        }
        guard !r.id.isEmpty, r.id.count <= 64, r.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw ChainsnapError(.invalidArgument, "recovery request \(key) has an invalid id", object: key)
        }
        if let from = r.from, !["s3://", "https://", "http://", "file://"].contains(where: from.hasPrefix) {
            throw ChainsnapError(.invalidArgument, "recovery request \(key) has from '\(from)', not an s3://, https://, http:// or file:// URL", object: key)
        }
        return r
    }
}

/// What a pod wrote in its data folder after acting on a request (`.chainsnap-recovery.json`).
public struct RecoveryRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Chain data removed; the restore or import has not finished (a restart resumes it, no second wipe).
        case wiped
        case done
    }
    public var id: String
    public var state: State
    public var at: String

    public init(id: String, state: State, at: String) {
        self.id = id
        self.state = state
        self.at = at
    }
}

/// The init container's decision about recovery requests. Pure: inputs are the mounted
/// ConfigMap's entries, the pod's name and the record in its data folder.
public enum Recovery {
    public static let configMapName = "chainsnap-recovery"
    public static let recordFile = ".chainsnap-recovery.json"

    public enum Decision: Sendable, Equatable {
        /// No request for this pod.
        case none
        /// The request with this id was honoured before: do nothing (a restart never repeats it).
        case alreadyHonoured(RecoveryRequest)
        /// Honour it: wipe the chain data paths first unless a previous start already did.
        case honour(RecoveryRequest, wipe: Bool)
    }

    /// Only the entry whose key is `pod` counts; other pods' requests are ignored.
    public static func decide(entries: [String: String], pod: String, record: RecoveryRecord?) throws -> Decision {
        guard let text = entries[pod] else { return .none }
        let r = try RecoveryRequest.parse(text, key: pod)
        if let record, record.id == r.id {
            return record.state == .done ? .alreadyHonoured(r) : .honour(r, wipe: false)
        }
        return .honour(r, wipe: true)
    }

    /// Reads a mounted ConfigMap folder: one file per key (Kubernetes' `..data` links skipped),
    /// at most 64 KiB each. A missing folder (the optional ConfigMap does not exist) is empty.
    public static func readEntries(dir: String) -> [String: String] {
        let fm = FileManager.default
        var out: [String: String] = [:]
        for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
            let p = (dir as NSString).appendingPathComponent(name)
            guard let attrs = try? fm.attributesOfItem(atPath: p), (attrs[.size] as? Int ?? 0) <= 64 << 10,
                  let d = fm.contents(atPath: p) else { continue }
            out[name] = String(decoding: d, as: UTF8.self)
        }
        return out
    }

    public static func readRecord(dataDir: String) -> RecoveryRecord? {
        let p = (dataDir as NSString).appendingPathComponent(recordFile)
        guard let d = FileManager.default.contents(atPath: p), d.count <= 64 << 10 else { return nil }
        return try? JSONDecoder().decode(RecoveryRecord.self, from: d)
    }

    /// Writes the record (temp file + rename + fsync, so a crash leaves the old or the new one).
    public static func writeRecord(_ r: RecoveryRecord, dataDir: String) throws {
        let p = (dataDir as NSString).appendingPathComponent(recordFile)
        let data = try JSONEncoder().encode(r)
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: p), options: .atomic)
        } catch {
            throw ChainsnapError(.io, "could not record recovery request \(r.id) in \(p)", object: p,
                                 hint: "the next start would act on the request again; check the volume is writable", underlying: error)
        }
    }
}

extension Recovery {
    /// The request in the mounted ConfigMap folder `dir` for `pod`, as the prepare-data plan's
    /// input, with the line the init container prints about it. A malformed request never blocks
    /// the node: it is reported and the usual decision is made.
    public static func input(dir: String, dataDir: String, pod: String) -> (RecoveryRequest?, RecoveryInput?, String) {
        guard !pod.isEmpty else { return (nil, nil, "recovery: no pod name (--pod-name or HOSTNAME); ignoring \(dir)") }
        let entries = readEntries(dir: dir)
        let record = readRecord(dataDir: dataDir)
        do {
            switch try decide(entries: entries, pod: pod, record: record) {
            case .none:
                return (nil, nil, "recovery: no request for \(pod) in \(dir)\(entries.isEmpty ? "" : " (requests for other pods are not ours)")")
            case .alreadyHonoured(let r):
                return (nil, nil, "recovery: request \(r.id) for \(pod) was already honoured (\(record?.at ?? "?")); not repeating it")
            case .honour(let r, let wipe):
                return (r, RecoveryInput(id: r.id, pod: pod, mode: r.mode == .rlp ? .rlp : .restore, wipe: wipe),
                        "decision: recover — request \(r.id) (\(r.mode.rawValue), requested \(r.requestedAt)) for this pod (\(pod))")
            }
        } catch let e as ChainsnapError {
            return (nil, nil, "recovery: ignoring the request for \(pod): \(e.message)")
        } catch {
            return (nil, nil, "recovery: ignoring the request for \(pod): \(error)")
        }
    }

    /// Records a request's progress in `dataDir` (the executor's `recordRecovery`).
    public static func record(_ input: RecoveryInput, _ stage: RecoveryInput.Stage, dataDir: String, now: Date = Date()) throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        try writeRecord(RecoveryRecord(id: input.id, state: stage == .done ? .done : .wiped, at: f.string(from: now)), dataDir: dataDir)
    }
}
