import SnapshotCore
import Stores
import Transfer

/// `rlp split`: reads an export (file, `.gz`, or URL), verifies every link, and writes it
/// into a bundle as compressed parts. The manifest is written once, after all parts.
public enum RLPSplitter {
    public static func split(source: String, into writer: BundleWriter,
                             options: StoreOptions = StoreOptions()) async throws -> StreamSummary {
        let scanner = RLPBlockScanner()
        var summary = StreamSummary()
        try await ByteInput.stream(source, options: options, sink: { piece in
            try scanner.feed(piece) { b, raw in
                summary.add(b)
                try writer.add(b, raw: raw)
            }
        }, afterChunk: { try await writer.drain() })
        try scanner.finish()
        guard summary.blocks > 0 else {
            throw ChainsnapError(.invalidArgument, "\(Redact.url(source)) holds no blocks", hint: "check that it is an RLP block export")
        }
        try await writer.finish()
        return summary
    }
}
