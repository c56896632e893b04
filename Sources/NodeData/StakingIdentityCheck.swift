import LocalFS
import SnapshotCore

/// The rule that a validator never silently changes identity: the staking files a pod's Secret
/// gives it must be the ones its data volume already holds, if the volume holds any.
///
/// The chart keeps every pod's staking material in one Secret with per-pod keys
/// (`luxd-0.staker.crt`, `luxd-0.staker.key`, `luxd-0.signer.key`, …), mounted read-only; luxd
/// reads its own files from there. A volume that already has `staking/staker.crt` from an earlier
/// life (luxd generated it, or another Secret) with different bytes means the pod would come up
/// as another validator: the check refuses. File contents are compared in memory and never
/// printed; messages name files only.
public struct StakingIdentityCheck: Sendable {
    /// One staking file: its key in the Secret (after `{pod}.`) and its name in the data volume.
    public struct File: Sendable, Equatable {
        public let secretSuffix: String
        public let volumeName: String
        public let required: Bool
    }

    /// luxd's files (`--staking-tls-cert-file`, `--staking-tls-key-file`, `--staking-signer-key-file`).
    public static let files = [
        File(secretSuffix: "staker.crt", volumeName: "staker.crt", required: true),
        File(secretSuffix: "staker.key", volumeName: "staker.key", required: true),
        File(secretSuffix: "signer.key", volumeName: "signer.key", required: false),
    ]

    /// Staking files are small (a PEM certificate and key, a 32-byte BLS key); a larger file is not one.
    public static let maxFileBytes: Int64 = 64 * 1024

    public let secretDir: String
    public let pod: String
    /// The staking folder in the data volume (e.g. `/data/staking`).
    public let volumeDir: String

    public init(secretDir: String, pod: String, volumeDir: String) {
        self.secretDir = secretDir
        self.pod = pod
        self.volumeDir = volumeDir
    }

    /// What the check found, one line per file (no contents).
    public struct Outcome: Sendable, Equatable {
        /// Files present in both places with the same bytes.
        public var matching: [String] = []
        /// Files only the Secret has (the volume has none yet: a new or wiped volume).
        public var onlyInSecret: [String] = []

        /// `same as the Secret: …; not on the volume yet: …` (file names only).
        public var summary: String {
            var parts: [String] = []
            if !matching.isEmpty { parts.append("same as the Secret: \(matching.joined(separator: ", "))") }
            if !onlyInSecret.isEmpty { parts.append("not on the volume yet: \(onlyInSecret.joined(separator: ", "))") }
            return parts.joined(separator: "; ")
        }
    }

    /// Compares each file. Throws `.invalidArgument` when the Secret lacks a required file for this
    /// pod, and `.corrupt` when the volume holds a file whose bytes differ from the Secret's.
    public func run() throws -> Outcome {
        guard !pod.isEmpty, !pod.contains("/") else {
            throw ChainsnapError(.invalidArgument, "the pod name '\(pod)' cannot select staking files",
                                 hint: "pass --staking-pod NAME (the chart passes $(POD_NAME))")
        }
        var outcome = Outcome()
        var differing: [String] = []
        for f in Self.files {
            let secretPath = "\(secretDir)/\(pod).\(f.secretSuffix)"
            let volumePath = "\(volumeDir)/\(f.volumeName)"
            guard let fromSecret = try Self.read(secretPath) else {
                if f.required {
                    throw ChainsnapError(.invalidArgument, "the staking Secret has no key \(pod).\(f.secretSuffix) (looked in \(secretDir))",
                                         hint: "add \(pod).staker.crt and \(pod).staker.key (and \(pod).signer.key) for every pod to the Secret named in staking.secretName")
                }
                continue
            }
            guard let onVolume = try Self.read(volumePath) else {
                outcome.onlyInSecret.append(f.volumeName)
                continue
            }
            if fromSecret == onVolume { outcome.matching.append(f.volumeName) } else { differing.append(f.volumeName) }
        }
        if !differing.isEmpty {
            throw ChainsnapError(
                .corrupt,
                "\(volumeDir) holds staking files that differ from the Secret's for \(pod): \(differing.joined(separator: ", ")); starting would change this validator's identity",
                hint: "if the Secret is right, move the volume's staking folder away (keep it: it is a validator key) and restart the pod; if the volume is right, put its files into the Secret")
        }
        return outcome
    }

    /// The file's bytes, nil when it does not exist. Refuses files larger than any staking file.
    static func read(_ path: String) throws -> [UInt8]? {
        guard let st = try FS.statusIfPresent(path) else { return nil }
        guard Int64(st.st_size) <= maxFileBytes else {
            throw ChainsnapError(.invalidArgument, "\(path) is \(st.st_size) bytes: larger than any staking file (\(maxFileBytes) bytes at most)")
        }
        return try FS.readFile(path)
    }
}
