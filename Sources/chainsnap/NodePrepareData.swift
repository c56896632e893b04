import ArgumentParser
import Foundation
import SnapshotCore

/// `chainsnap node prepare-data`: the init container's decision — restore, leave alone, or
/// (only when told) wipe the chain data and restore.
struct NodePrepareDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-data",
        abstract: "Prepare a node's data volume before the node starts (the chart's init container).",
        discussion: """
            Restores the snapshot into DATA-DIR/RESTORE-PATH when that folder is empty, does \
            nothing when its restore marker (.chainsnap-restore.json) says it was restored, and \
            leaves data it did not restore alone. With --clear-data it first removes the listed \
            --chain-data paths (and nothing else: the --protect paths, staking keys by default, \
            can never be listed), then restores. It prints what it decided and why.
            The restore itself is `chainsnap snapshot restore --from URL [--snapshot ID] DIR`.
            """
    )

    @Option(help: ArgumentHelp("The node's data folder (the PVC mount).", valueName: "dir"))
    var dataDir: String

    @Option(name: .customLong("chain-data"), help: ArgumentHelp("Chain data path under --data-dir (repeatable); the only paths --clear-data removes.", valueName: "subpath"))
    var chainData: [String] = []

    @Option(help: ArgumentHelp("Which --chain-data path the snapshot restores into (default: the first).", valueName: "subpath"))
    var restorePath: String?

    @Option(name: .customLong("protect"), help: ArgumentHelp("Path under --data-dir that must never be cleared (repeatable).", valueName: "subpath"))
    var protected: [String] = ["staking"]

    @Option(help: ArgumentHelp("Snapshot store or archive URL to restore from; without it nothing is restored.", valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("File holding the URL to restore from instead of --from (a mounted Secret with a presigned URL).", valueName: "path"))
    var fromFile: String?

    @Option(help: ArgumentHelp("Snapshot id to restore (default: latest).", valueName: "id"))
    var snapshot: String?

    @Option(help: ArgumentHelp("Expected SHA-256 of an archive URL.", valueName: "hex"))
    var sha256: String?

    @Flag(help: "Remove the --chain-data paths, then restore. Staking keys and every other path are kept.")
    var clearData = false

    @Option(help: ArgumentHelp("With --clear-data: clear only once per token (recorded in DATA-DIR/.chainsnap-clear-data-token), so a pod recreated later does not wipe again.", valueName: "token"))
    var clearDataToken: String?

    @Flag(help: "Print the decision and the restore command without changing anything.")
    var dryRun = false

    @Option(help: ArgumentHelp("Folder of one-shot recovery requests (the mounted ConfigMap chainsnap-recovery, written by `fleet recover`); only the key equal to this pod's name counts, once.", valueName: "dir"))
    var recoveryDir: String?

    @Option(help: ArgumentHelp("This pod's name for --recovery-dir (default: $HOSTNAME).", valueName: "name"))
    var podName: String?

    @OptionGroup(title: "Store options (passed on to `snapshot restore`)")
    var store: NodePassthroughStoreOptions

    func validate() throws {
        guard !chainData.isEmpty else { throw ValidationError("give at least one --chain-data path, e.g. --chain-data db") }
        for p in chainData + protected + [restorePath].compactMap({ $0 }) {
            guard Self.isSafeSubpath(p) else {
                throw ValidationError("'\(p)' must be a relative path inside --data-dir (no '..', no leading '/', not '.')")
            }
        }
        for c in chainData {
            for k in protected where Self.overlaps(c, k) {
                throw ValidationError("--chain-data '\(c)' overlaps protected path '\(k)'; clearing it could delete keys — list only chain data folders")
            }
        }
        if let restorePath, !chainData.contains(restorePath) {
            throw ValidationError("--restore-path '\(restorePath)' must be one of the --chain-data paths")
        }
        if clearDataToken != nil && !clearData {
            throw ValidationError("--clear-data-token only applies with --clear-data")
        }
        if from != nil && fromFile != nil {
            throw ValidationError("give either --from or --from-file, not both")
        }
        if clearData && !restores {
            throw ValidationError("--clear-data needs --from: clearing without a restore would leave an empty node")
        }
    }

    static func isSafeSubpath(_ p: String) -> Bool {
        let parts = p.split(separator: "/", omittingEmptySubsequences: true)
        return !p.isEmpty && !p.hasPrefix("/") && !parts.isEmpty && !parts.contains("..") && !parts.allSatisfy { $0 == "." }
    }

    /// Whether one path is equal to, inside, or a parent of the other.
    static func overlaps(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/").filter { $0 != "." }, y = b.split(separator: "/").filter { $0 != "." }
        let n = min(x.count, y.count)
        return Array(x.prefix(n)) == Array(y.prefix(n))
    }

    var target: String { (dataDir as NSString).appendingPathComponent(restorePath ?? chainData[0]) }

    /// Whether a restore source was given (--from or --from-file).
    var restores: Bool { from != nil || fromFile != nil }

    var restoreArguments: [String]? {
        var a = ["snapshot", "restore"]
        if let from { a += ["--from", from] } else if let fromFile { a += ["--from-file", fromFile] } else { return nil }
        if let snapshot { a += ["--snapshot", snapshot] }
        if let sha256 { a += ["--sha256", sha256] }
        return a + [target] + store.arguments
    }

    func say(_ s: String) { print("prepare-data: \(s)") }

    func run() async throws {
        let fm = FileManager.default
        let marker = (target as NSString).appendingPathComponent(".chainsnap-restore.json")
        let all = (try? fm.contentsOfDirectory(atPath: target)) ?? []
        // The restore's own staging folder (a restore killed midway) does not count as data: restoring resumes it.
        let entries = all.filter { !$0.hasPrefix(".chainsnap-staging") }
        say("data dir \(dataDir); chain data \(chainData.joined(separator: ", ")); restore target \(target)")
        if try await honourRecoveryRequest() { return }

        let tokenFile = (dataDir as NSString).appendingPathComponent(".chainsnap-clear-data-token")
        let doneToken = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if clearData, let clearDataToken, doneToken == clearDataToken {
            say("clearData: already done for token \(clearDataToken) (\(tokenFile)); not clearing again")
        }
        if clearData && (clearDataToken == nil || doneToken != clearDataToken) {
            let present = chainData.filter { fm.fileExists(atPath: (dataDir as NSString).appendingPathComponent($0)) || isSymlink((dataDir as NSString).appendingPathComponent($0)) }
            say("decision: clear and restore — clearData is set; removing \(present.isEmpty ? "nothing (no chain data present)" : present.joined(separator: ", ")); keeping \(protected.joined(separator: ", ")) and everything else")
            for p in present {
                let full = (dataDir as NSString).appendingPathComponent(p)
                if dryRun { say("would remove \(full)"); continue }
                do { try fm.removeItem(atPath: full) } catch {
                    throw ChainsnapError(.io, "could not remove \(full)", object: full, hint: "check the volume is writable by this container", underlying: error)
                }
                say("removed \(full)")
            }
            try await restore()
            if let clearDataToken, !dryRun {
                try? fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
                guard fm.createFile(atPath: tokenFile, contents: Data((clearDataToken + "\n").utf8)) else {
                    throw ChainsnapError(.io, "could not record the clear-data token in \(tokenFile)", object: tokenFile,
                                         hint: "the next start would clear again; check the volume is writable")
                }
            }
            return
        }
        if fm.fileExists(atPath: marker) {
            let info = (try? Data(contentsOf: URL(fileURLWithPath: marker)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
            let identity = info["identity"] as? String ?? "?"
            say("decision: nothing to do — \(target) was already restored (\(identity) from \(info["source"] as? String ?? "?") at \(info["restoredAt"] as? String ?? "?"); marker \(marker))")
            if let snapshot, snapshot != "latest", snapshot != identity {
                say("note: --snapshot \(snapshot) differs from the restored \(identity); to switch, set clearData (--clear-data) for one rollout")
            }
            return
        }
        if entries.isEmpty {
            guard restores else {
                say("decision: nothing to do — \(target) is empty and no --from was given; the node will sync from its peers")
                return
            }
            say(all.isEmpty ? "decision: restore — \(target) is empty"
                : "decision: restore — \(target) holds only an interrupted restore's staging folder; restoring resumes it")
            try await restore()
            return
        }
        say("decision: leave as is — \(target) holds \(entries.count) entries without a restore marker (data the node wrote itself?); "
            + "not touching it. To replace it with the snapshot, set clearData (--clear-data) for one rollout.")
    }

    func isSymlink(_ p: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: p)[.type] as? FileAttributeType) == .typeSymbolicLink
    }

    func restore() async throws {
        guard let args = restoreArguments else { return }
        if dryRun {
            say("would run: \(NodeSelfExec.display(args))")
            return
        }
        say("running: \(NodeSelfExec.display(args))")
        let status = try await NodeSelfExec.run(args)
        guard status == 0 else {
            say("restore exited with status \(status); see its message above")
            throw ExitCode(status)
        }
        say("restore finished")
    }
}
