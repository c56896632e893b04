import Testing
@testable import SnapshotCore

@Suite struct SnapshotCoreTests {
    @Test func idsAreMonotonicWithinOneSecond() {
        let a = SnapshotID.make(compactUTC: "20261123T232819Z", random: 0xffff_0000)
        let b = SnapshotID.next(after: a, compactUTC: "20261123T232819Z", random: 5)
        #expect(b > a)
        #expect(SnapshotID.isValid(b))
        let skewed = SnapshotID.next(after: a, compactUTC: "20261123T230000Z", random: 5)
        #expect(skewed > a)
        let later = SnapshotID.next(after: a, compactUTC: "20261124T000000Z", random: 5)
        #expect(later.hasPrefix("20261124T000000Z"))
        #expect(!SnapshotID.isValid("../../etc"))
        #expect(!SnapshotID.isValid("20261123T232819Z-XYZ00000"))
    }

    @Test func byteCounts() throws {
        #expect(try ByteCount.parse("4MiB") == 4 << 20)
        #expect(try ByteCount.parse("64k") == 64 << 10)
        #expect(try ByteCount.parse("1.5G") == 3 << 29)
        #expect(try ByteCount.parse("123") == 123)
        #expect(throws: ChainsnapError.self) { try ByteCount.parse("lots") }
        // Values too large for Int64 are errors, not traps converting a Double (issue 10, item 5).
        for huge in ["99999999999999999999", "10000000000GiB", "9223372036854775807k", "8589934592.5G", "1e400", "\(Double.greatestFiniteMagnitude)"] {
            #expect(throws: ChainsnapError.self, "\(huge)") { try ByteCount.parse(huge) }
        }
        #expect(try ByteCount.parse("9223372036854775807") == Int64.max)
        #expect(try ByteCount.parse("8388607TiB") == 8_388_607 << 40)
        #expect(throws: ChainsnapError.self) { try ByteCount.parse("4XB") }
        #expect(ByteCount.format(1536) == "1.5 KiB")
        #expect(formatDuration(3723) == "1h02m03s")
    }

    @Test(arguments: ["a", "a/b/c", "ünï/日本", "..a", "a..b"])
    func safePathsPass(path: String) throws {
        try PathRules.checkEntryPath(path)
    }

    @Test(arguments: ["", "/abs", "../x", "a/../../b", "a//b", "./a", "a/.", "a\0b"])
    func unsafePathsFail(path: String) {
        #expect(throws: ChainsnapError.self) { try PathRules.checkEntryPath(path) }
    }

    @Test func symlinkRules() throws {
        try PathRules.checkSymlink(linkPath: "a/b/link", target: "../c")
        try PathRules.checkSymlink(linkPath: "link", target: "dangling/inside")
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "link", target: "../out") }
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "a/link", target: "../../out") }
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "a/link", target: "/etc/passwd") }
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "a/link", target: "b/../../../x") }
        // Leading '..' then names is fine; '..' after a name is refused even when it looks inside,
        // because that name may be a symlink (a/b/s -> ../.. makes a/b/t -> s/../x escape).
        try PathRules.checkSymlink(linkPath: "a/link", target: "../a/./b")
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "a/b/t", target: "s/../x") }
        #expect(throws: ChainsnapError.self) { try PathRules.checkSymlink(linkPath: "a/b/t", target: "../s/../x") }
    }
}
