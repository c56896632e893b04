import ArgumentParser
import Codecs
import CommandOptions
import RestoreCore
import SnapshotCore
import Testing

@Suite("usage errors, exit codes, JSON lines")
struct CommandSupportTests {
    @Test("a library's invalid-argument error becomes a usage error with its hint; other errors pass through")
    func usageErrors() throws {
        let e = #expect(throws: ValidationError.self) {
            try asUsageError { throw ChainsnapError(.invalidArgument, "--label 'x' is not KEY=VALUE", hint: "e.g. --label tier=archive") }
        }
        #expect(e?.message == "--label 'x' is not KEY=VALUE (e.g. --label tier=archive)")
        #expect(throws: ChainsnapError.self) { try asUsageError { throw ChainsnapError(.io, "disk") } }
        #expect(try asUsageError { 7 } == 7)
        #expect(try parseSizeOption("--chunk-size", "4MiB") == 4 << 20)
        let size = #expect(throws: ValidationError.self) { try parseSizeOption("--chunk-size", "4 apples") }
        #expect(size?.message.hasPrefix("--chunk-size") == true, "\(size?.message ?? "")")
        let url = #expect(throws: ValidationError.self) { try checkHTTPURL("--rpc", "luxd:9650", example: localNodeURLExample) }
        #expect(url?.message == "--rpc 'luxd:9650' must be an http:// or https:// URL, e.g. http://127.0.0.1:9650")
        #expect(throws: Never.self) { try checkHTTPURL("--rpc", "https://n") }
        let port = #expect(throws: ValidationError.self) { try checkPort("--rpc-port", 0) }
        #expect(port?.message == "--rpc-port must be between 1 and 65535")
        try checkPort("--rpc-port", nil)
        try checkPort("--rpc-port", 65535)
        #expect(ChunkCodec(argument: "LZ4") == .lz4 && ChunkCodec(argument: "brotli") == nil)
    }

    /// The exit code `reportingErrors` turns `error` into (nil: it passed the error through unchanged).
    func exitCode(for error: any Error) async -> Int32? {
        do {
            try await reportingErrors { throw error }
        } catch let e as ExitCode {
            return e.rawValue
        } catch {
            return nil
        }
        return -1
    }

    @Test("errors become the documented exit codes: 3 existing data, 75 target busy, a child's own status, 1 otherwise")
    func exitCodes() async throws {
        #expect(await exitCode(for: ChainsnapError(.targetNotEmpty, "not empty")) == 3)
        #expect(await exitCode(for: ChainsnapError(.targetBusy, "held")) == 75)
        #expect(await exitCode(for: ChainsnapError(.notFound, "gone")) == 1)
        #expect(await exitCode(for: ReportedExit(status: 5)) == 5, "a failed child restore's status is the command's")
        #expect(await exitCode(for: CocoaLikeError()) == 1)
        #expect(await exitCode(for: ExitCode(9)) == 9)
        #expect(await exitCode(for: ValidationError("bad")) == nil, "usage errors stay usage errors (exit 64, with the usage line)")
        try await reportingErrors {}
    }

    struct CocoaLikeError: Error {}

    struct Row: Encodable { var url: String; var a: Int }

    @Test("JSON lines: one object per line, sorted keys, slashes not escaped")
    func json() throws {
        #expect(try jsonLine(Row(url: "s3://b/p", a: 1)) == #"{"a":1,"url":"s3://b/p"}"#)
    }
}
