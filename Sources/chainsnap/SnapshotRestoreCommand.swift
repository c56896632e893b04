import Archives
import ArgumentParser
import CommandOptions
import RestoreCore
import Snapshots
import Stores

/// `chainsnap snapshot restore --from STORE_URL [--snapshot ID|latest] DIR`.
struct SnapshotRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a snapshot (or a .tar.zst/.tar.lz4/.tar.gz/.tar archive) into a folder, safely.",
        discussion: """
            Refuses a non-empty target unless --force (exit 3). Checks free space first, builds the tree \
            in TARGET/.chainsnap-staging and moves it into place only when every chunk is verified. A killed \
            restore resumes when run again. A marker (TARGET/.chainsnap-restore.json) makes a second run of \
            the same restore a no-op. One restore holds a target at a time (a flock on \
            TARGET/.chainsnap-lock): a second one exits 75 naming the holder, or waits with --wait-lock. \
            A resumed restore replaces existing data only when it is given --force itself.
            """
    )

    @OptionGroup var request: RestoreRequestFlags
    @Argument(help: "Target folder (created if missing).") var directory: String
    @Flag(help: "Replace the target's existing contents.") var force = false
    @Flag(help: "Keep data the target already has (an older restore); fetch only what changed.") var reuseExisting = false
    @Option(help: "Largest pax or GNU long-name header an archive may hold (archives only; held in memory; default 1MiB, at most a quarter of --memory-limit).")
    var maxTarHeader: String?
    @Option(help: "Seconds between progress lines when stderr is not a terminal.") var progressInterval: Double?
    @Flag(help: "Print the summary as JSON on stdout.") var json = false
    @Option(help: ArgumentHelp("Wait up to this many seconds for another chainsnap run holding the target (default: refuse at once, exit 75).", valueName: "seconds"))
    var waitLock: Double?
    @OptionGroup var networkCheck: NetworkCheckFlags
    @OptionGroup var store: StoreFlags
    @OptionGroup(title: "Metrics") var metrics: RestoreMetricsFlags

    func validate() throws {
        if let w = waitLock, !(w >= 0 && w <= 7 * 86400) { throw ValidationError("--wait-lock takes 0 to 604800 seconds") }
        guard request.source.isGiven else { throw ValidationError("give --from URL (or --from-file PATH holding the URL)") }
        // With --from-file the URL, and so whether it is an archive, is only known in run().
        if let from = request.source.from { try checkKind(isArchive: ArchiveRestore.isArchiveURL(from)) }
    }

    /// The flags that only apply to one kind of source (the request's own: `RestoreRequestFlags.checkKind`).
    func checkKind(isArchive: Bool) throws {
        try request.checkKind(isArchive: isArchive)
        if isArchive && reuseExisting {
            throw ValidationError("--reuse-existing needs a chainsnap snapshot store, not an archive; restore archives into an empty folder, or with --force")
        } else if !isArchive && maxTarHeader != nil {
            throw ValidationError("--max-tar-header applies to archive restores only (snapshot stores hold no tar headers); drop it")
        }
    }

    func run() async throws {
        try await reportingErrors { try await metrics.reporting(target: directory) { restoreMetrics in
            var o = RestoreOptions()
            o.snapshot = request.snapshot
            o.force = force
            o.reuseExisting = reuseExisting
            o.progressInterval = progressInterval
            o.progressFile = request.progressFile
            o.lockWait = waitLock ?? 0
            o.progressObserver = restoreMetrics?.observer
            o.trustedKeys = try request.trust.load()
            o.expectedNetwork = networkCheck.network
            o.expectedChainId = networkCheck.chainId
            o.allowOtherNetwork = networkCheck.allowOtherNetwork
            let so = try store.options()
            o.parallel = so.connections
            o.memoryLimit = so.memoryLimit
            let from = try request.source.url()
            try checkKind(isArchive: ArchiveRestore.isArchiveURL(from))
            if ArchiveRestore.isArchiveURL(from) {
                try await restoreArchive(from: from, storeOptions: so, observer: restoreMetrics?.observer)
                return
            }
            let s = try await SnapshotRestorer(store: store.open(from), options: o).run(into: directory)
            if let line = s.report { writeStderr(line + "\n") }
            if json { try printJSON(s) }
        } }
    }
}

extension SnapshotRestore {
    /// `--from …/node.tar.zst` (or .tar.lz4, .tar.gz, .tar): a streamed archive restore.
    func restoreArchive(from: String, storeOptions: StoreOptions, observer: (@Sendable (ProgressState) -> Void)?) async throws {
        let progress = ProgressReporter(label: "restore archive", total: 0, interval: progressInterval, statusFile: request.progressFile,
                                        observer: observer)
        var o = ArchiveRestore.Options(sha256: request.sha256?.lowercased(), force: force, log: { writeStderr($0 + "\n") })
        o.progress = progress
        if let maxTarHeader {
            o.maxTarHeaderBytes = try ArchiveRestore.Options.maxTarHeaderBytes(maxTarHeader, memoryLimit: storeOptions.memoryLimit)
        }
        o.lockWait = waitLock ?? 0
        let s = try await ArchiveRestore.run(from: from, to: directory, storeOptions: storeOptions, options: o)
        writeStderr(s.description + "\n")
        if json { try printJSON(s.jsonReport) }
    }
}
