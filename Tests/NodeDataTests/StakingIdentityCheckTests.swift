import Foundation
import NodeData
import SnapshotCore
import Testing
import TestSupport

/// The identity rule on real folders: same keys pass, a new volume passes, different keys refuse
/// without printing them, a Secret without this pod's keys is a clear error.
@Suite("StakingIdentityCheck")
struct StakingIdentityCheckTests {
    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func setUp(_ tmp: TempDir) throws -> StakingIdentityCheck {
        try write(tmp.sub("secret/luxd-1.staker.crt"), "CERT-1")
        try write(tmp.sub("secret/luxd-1.staker.key"), "SECRET-KEY-1")
        try write(tmp.sub("secret/luxd-1.signer.key"), "SIGNER-1")
        try write(tmp.sub("secret/luxd-2.staker.crt"), "CERT-2")
        return StakingIdentityCheck(secretDir: tmp.sub("secret"), pod: "luxd-1", volumeDir: tmp.sub("data/staking"))
    }

    @Test("a new volume: every file only in the Secret")
    func newVolume() throws {
        let tmp = TempDir("stake")
        let outcome = try setUp(tmp).run()
        #expect(outcome.onlyInSecret == ["staker.crt", "staker.key", "signer.key"] && outcome.matching.isEmpty)
    }

    @Test("the same keys on the volume pass")
    func sameKeys() throws {
        let tmp = TempDir("stake")
        let check = try setUp(tmp)
        try write(tmp.sub("data/staking/staker.crt"), "CERT-1")
        try write(tmp.sub("data/staking/staker.key"), "SECRET-KEY-1")
        let outcome = try check.run()
        #expect(outcome.matching == ["staker.crt", "staker.key"] && outcome.onlyInSecret == ["signer.key"])
    }

    @Test("a different key on the volume is refused, naming the file but never its bytes")
    func differentKey() async throws {
        let tmp = TempDir("stake")
        let check = try setUp(tmp)
        try write(tmp.sub("data/staking/staker.crt"), "CERT-1")
        try write(tmp.sub("data/staking/staker.key"), "OTHER-VALIDATOR-KEY")
        let e = try #require(await chainsnapError { _ = try check.run() })
        #expect(e.code == .corrupt)
        #expect(e.description.contains("staker.key") && e.description.contains("identity"), "\(e.description)")
        #expect(!e.description.contains("OTHER-VALIDATOR-KEY") && !e.description.contains("SECRET-KEY-1"))
    }

    @Test("a Secret without this pod's keys, and a file too large to be a key, are clear errors")
    func missingAndOversized() async throws {
        let tmp = TempDir("stake")
        _ = try setUp(tmp)
        let none = StakingIdentityCheck(secretDir: tmp.sub("secret"), pod: "luxd-2", volumeDir: tmp.sub("data/staking"))
        let e = try #require(await chainsnapError { _ = try none.run() })
        #expect(e.code == .invalidArgument && e.description.contains("luxd-2.staker.key"), "\(e.description)")
        try write(tmp.sub("data/staking/staker.crt"), String(repeating: "x", count: 70_000))
        let oversized = StakingIdentityCheck(secretDir: tmp.sub("secret"), pod: "luxd-1", volumeDir: tmp.sub("data/staking"))
        let big = try #require(await chainsnapError { _ = try oversized.run() })
        #expect(big.description.contains("larger than any staking file"))
    }
}
