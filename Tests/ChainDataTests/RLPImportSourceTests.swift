import ChainData
import SnapshotCore
import Testing

@Suite("rlp import's source")
struct RLPImportSourceTests {
    @Test("a bundle or a legacy export, never both; each needs its own flags and the error says which")
    func choose() throws {
        #expect(try RLPImportSource.choose(from: "s3://b/rlp", network: "lux-mainnet", baseURL: nil, file: nil, parts: nil)
                == .bundle(store: "s3://b/rlp", network: "lux-mainnet"))
        let legacy = try RLPImportSource.choose(from: nil, network: nil, baseURL: "https://h/x", file: "lux.rlp", parts: "aa,ab")
        #expect(legacy == .legacy(baseURL: "https://h/x", file: "lux.rlp", parts: "aa,ab") && legacy.isLegacy)
        #expect(try RLPImportSource.choose(from: nil, network: "n", baseURL: "https://h/x", file: "one.rlp", parts: nil)
                == .legacy(baseURL: "https://h/x", file: "one.rlp", parts: nil), "a single-file export needs no --parts")
        for (args, message) in [
            ((nil, nil, nil, nil, nil), "give --from STORE_URL and --network NAME (or the legacy --base-url/--file/--parts)"),
            (("s3://b", nil, nil, nil, nil), "give --from STORE_URL and --network NAME (or the legacy --base-url/--file/--parts)"),
            ((nil, nil, nil, "f", nil), "the legacy layout needs --base-url and --file (and --parts for a multi-part export)"),
            ((nil, nil, "https://h", nil, "aa"), "the legacy layout needs --base-url and --file (and --parts for a multi-part export)"),
            (("s3://b", "n", "https://h", "f", nil), "use either --from (bundle) or --base-url/--file/--parts (legacy), not both"),
        ] as [((String?, String?, String?, String?, String?), String)] {
            let e = #expect(throws: ChainsnapError.self) {
                try RLPImportSource.choose(from: args.0, network: args.1, baseURL: args.2, file: args.3, parts: args.4)
            }
            #expect(e?.code == .invalidArgument && e?.message == message, "\(args): \(e?.message ?? "accepted")")
        }
    }
}
