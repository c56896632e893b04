import Testing
import SnapshotCore

@Suite("Option values") struct OptionValuesTests {
    @Test("a size option's error names the option and folds the hint into the message")
    func sizeOption() throws {
        #expect(try ByteCount.parseOption("--chunk-size", "4MiB") == 4 << 20)
        let e = #expect(throws: ChainsnapError.self) { try ByteCount.parseOption("--chunk-size", "4 parsecs") }
        #expect(e?.code == .invalidArgument)
        #expect(e?.message == "--chunk-size: cannot read size '4 parsecs'; use a number with an optional unit, e.g. 4MiB, 512k, 2G")
        #expect(e?.hint == nil)
    }

    @Test("key=value pairs: the value may hold '=', the last pair of a key wins, a missing key or '=' is refused")
    func keyValues() throws {
        #expect(try KeyValueOption.parse(["a=1", "b=x=y", "a=2", "c="], flag: "--label") == ["a": "2", "b": "x=y", "c": ""])
        for bad in ["novalue", "=v"] {
            let e = #expect(throws: ChainsnapError.self) { try KeyValueOption.parse([bad], flag: "--label") }
            #expect(e?.message == "--label '\(bad)' must look like key=value")
        }
        #expect(throws: ChainsnapError.self) { try KeyValueOption.parse(["k="], flag: "--node-selector", allowEmptyValue: false) }
        #expect(try KeyValueOption.parse(["k=="], flag: "--node-selector", allowEmptyValue: false) == ["k": "="])
    }
}
