import ArgumentParser
import CommandOptions
import Fleet
import NodeData
import Testing

/// The flag groups of `chainsnap snapshot restore` that `node prepare-data` passes on, with its
/// target argument: what the child restore parses.
struct RestoreSide: ParsableCommand {
    @OptionGroup var request: RestoreRequestFlags
    @Argument var directory: String
    @OptionGroup var networkCheck: NetworkCheckFlags
    @OptionGroup var store: StoreFlags
    @OptionGroup var metrics: RestoreMetricsFlags
}

@Suite("RestoreRequestFlags")
struct RestoreRequestFlagsTests {
    @Test("what prepare-data is given reaches the restore it runs unchanged: print back, parse again, same values")
    func roundTrip() throws {
        let given = ["--from", "s3://snaps/lux", "--snapshot", "snap-7", "--sha256", "ab12", "--trusted-keys", "/keys",
                     "--progress-file", "/tmp/p.json"]
        let r = try RestoreRequestFlags.parse(given)
        let n = try NetworkCheckFlags.parse(["--network", "mainnet", "--chain-id", "96369", "--allow-other-network"])
        let s = try StoreFlags.parse(["--endpoint", "http://e", "--path-style", "--connections", "8"])
        let m = try RestoreMetricsFlags.parse(["--metrics-file", "/m.prom", "--metrics-label", "pod=luxd-0"])
        let args = r.call(network: n, store: s, metrics: m).arguments(target: "/data/db")
        #expect(Array(args.prefix(2)) == ["snapshot", "restore"])
        let child = try RestoreSide.parse(Array(args.dropFirst(2)))
        #expect(child.directory == "/data/db")
        #expect(child.request.source.from == "s3://snaps/lux" && child.request.source.fromFile == nil)
        #expect(child.request.snapshot == "snap-7" && child.request.sha256 == "ab12")
        #expect(child.request.trust.trustedKeys == "/keys" && child.request.progressFile == "/tmp/p.json")
        #expect(child.networkCheck.network == "mainnet" && child.networkCheck.chainId == "96369" && child.networkCheck.allowOtherNetwork)
        #expect(child.store.settings == s.settings)
        #expect(child.metrics.arguments == m.arguments)
        // Nothing given: only the source and the target go on.
        let bare = try RestoreRequestFlags.parse(["--from-file", "/secret/url"])
        #expect(bare.call(network: try .parse([]), store: try .parse([]), metrics: try .parse([])).arguments(target: "/t")
                == ["snapshot", "restore", "--from-file", "/secret/url", "/t"])
    }

    @Test("flags that do not fit the source's kind are usage errors that say what to drop")
    func kind() throws {
        func message(_ args: [String], archive: Bool) throws -> String? {
            do { try RestoreRequestFlags.parse(args).checkKind(isArchive: archive); return nil } catch let e as ValidationError { return e.message }
        }
        #expect(try message(["--snapshot", "latest"], archive: true) == nil, "--snapshot latest is the default, so it fits an archive")
        #expect(try message(["--sha256", "ab"], archive: true) == nil)
        #expect(try message(["--snapshot", "s1"], archive: true) == "--snapshot does not apply to an archive URL; drop --snapshot")
        #expect(try message(["--trusted-keys", "/k"], archive: true)?.hasPrefix("--trusted-keys needs a signed chainsnap snapshot") == true)
        #expect(try message(["--sha256", "ab"], archive: false)?.hasPrefix("--sha256 applies to archive restores only") == true)
        #expect(try message(["--snapshot", "s1", "--trusted-keys", "/k"], archive: false) == nil)
    }

    @Test("a fleet recover request for this pod names the source and snapshot; an rlp request restores nothing")
    func recovery() throws {
        let given = try RestoreRequestFlags.parse(["--from-file", "/secret/url", "--snapshot", "old", "--sha256", "ab"])
        let r = given.applying(RecoveryRequest(id: "r1", mode: .restore, from: "s3://other/p", snapshot: "snap-9", requestedAt: "t"))
        #expect(r.source.from == "s3://other/p" && r.source.fromFile == nil && r.snapshot == "snap-9" && r.sha256 == "ab")
        let keepSource = given.applying(RecoveryRequest(id: "r2", mode: .restore, snapshot: "snap-9", requestedAt: "t"))
        #expect(keepSource.source.fromFile == "/secret/url" && keepSource.snapshot == "snap-9")
        let rlp = given.applying(RecoveryRequest(id: "r3", mode: .rlp, from: "s3://x", requestedAt: "t"))
        #expect(rlp.source.fromFile == "/secret/url" && rlp.source.from == nil && rlp.snapshot == "old")
        #expect(given.applying(nil).snapshot == "old")
    }
}
