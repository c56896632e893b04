import ArgumentParser
import CommandOptions
import Foundation
import SnapshotCore
import Stores
import Testing
import TestSupport

/// Parses `args` as `T` (with its validate()), or returns the usage error's message and exit code.
func usage<T: ParsableArguments>(_ type: T.Type, _ args: [String]) -> (message: String, exit: Int32)? {
    do {
        _ = try T.parse(args)
        return nil
    } catch {
        return (T.message(for: error), T.exitCode(for: error).rawValue)
    }
}

@Suite("StoreFlags, SourceFlags, NetworkCheckFlags")
struct StoreAndSourceFlagsTests {
    static let all = ["--endpoint", "http://e", "--region", "r", "--path-style", "--credentials-dir", "/c", "--profile", "p",
                      "--ca-file", "/ca", "--http2", "--connections", "4", "--memory-limit", "64MiB"]

    @Test("every store flag prints back as the same argument, and the printed arguments parse to the same settings")
    func roundTrip() throws {
        let f = try StoreFlags.parse(Self.all)
        #expect(f.arguments == Self.all)
        #expect(try StoreFlags.parse(f.arguments).settings == f.settings)
        #expect(try StoreFlags.parse([]).arguments == [], "absent flags print nothing, so a Job gets no defaults spelled out")
        // Given in another order, the flags still print in the settings' fixed order.
        let shuffled = try StoreFlags.parse(["--memory-limit", "64MiB", "--http2", "--endpoint", "http://e"])
        #expect(shuffled.arguments == ["--endpoint", "http://e", "--http2", "--memory-limit", "64MiB"])
    }

    @Test("out-of-range values are usage errors (exit 64) that name the flag; options() fills the defaults")
    func validation() throws {
        for (args, message) in [
            (["--connections", "0"], "--connections must be between 1 and 256"),
            (["--connections", "257"], "--connections must be between 1 and 256"),
            (["--memory-limit", "15MiB"], "--memory-limit must be at least 16MiB"),
            (["--memory-limit", "much"], "--memory-limit: cannot read size 'much'"),
            (["--connections", "many"], "The value 'many' is invalid for '--connections <connections>'"),
        ] {
            let u = try #require(usage(StoreFlags.self, args), "\(args) was accepted")
            #expect(u.exit == 64 && u.message.contains(message), "\(args): \(u)")
        }
        let o = try StoreFlags.parse(["--connections", "3"]).options()
        #expect(o.connections == 3 && o.memoryLimit == 256 << 20)
    }

    @Test("--from or --from-file, not both; the file's URL is read trimmed and never printed back")
    func source() throws {
        let u = try #require(usage(SourceFlags.self, ["--from", "s3://b/p", "--from-file", "/f"]))
        #expect(u.exit == 64 && u.message.contains("give either --from or --from-file, not both"))
        let none = try SourceFlags.parse([])
        #expect(!none.isGiven && none.arguments == [])
        #expect(throws: ValidationError.self) { try none.url() }
        let t = TempDir("source-flags")
        try Data("https://h/a.tar.zst?X-Amz-Signature=secret\n".utf8).write(to: URL(fileURLWithPath: t.sub("url")))
        let file = try SourceFlags.parse(["--from-file", t.sub("url")])
        #expect(file.isGiven && file.arguments == ["--from-file", t.sub("url")], "the path goes on, never the URL it holds")
        #expect(try file.url() == "https://h/a.tar.zst?X-Amz-Signature=secret")
        let from = try SourceFlags.parse(["--from", "s3://b/p"])
        #expect(try from.url() == "s3://b/p" && from.arguments == ["--from", "s3://b/p"])
    }

    @Test("network check flags parse; the flag is off unless given")
    func networkCheck() throws {
        let n = try NetworkCheckFlags.parse(["--network", "mainnet", "--chain-id", "96369"])
        #expect(n.network == "mainnet" && n.chainId == "96369" && !n.allowOtherNetwork)
        #expect(try NetworkCheckFlags.parse(["--allow-other-network"]).allowOtherNetwork)
    }
}
