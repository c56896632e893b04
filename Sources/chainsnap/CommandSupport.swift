import ArgumentParser
import Codecs
import Foundation
import RestoreCore
import SnapshotCore
import Snapshots

/// `--compression zstd|lz4`: an unknown codec is a usage error (exit 64) listing the choices.
extension ChunkCodec: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// Runs a library check inside `validate()`: its `.invalidArgument` errors become usage
/// errors (exit 64, with the usage line), everything else passes through.
func asUsageError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ChainsnapError where e.code == .invalidArgument {
        throw ValidationError(e.hint.map { "\(e.message) (\($0))" } ?? e.message)
    }
}

/// Runs a command body, turning errors into a clear message and the documented exit code.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ChainsnapError {
        writeStderr("chainsnap: error: \(e.description)\n")
        throw ExitCode(e.exitStatus)
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        writeStderr("chainsnap: error: \(error)\n")
        throw ExitCode(1)
    }
}

/// `--rpc`-style options: an `http://` or `https://` URL, else a usage error (with an example when asked).
func checkHTTPURL(_ flag: String, _ url: String, example: Bool = false) throws {
    guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
        throw ValidationError("\(flag) '\(url)' must be an http:// or https:// URL" + (example ? ", e.g. http://127.0.0.1:9650" : ""))
    }
}

/// Prints an Encodable value as pretty JSON on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    // One object per line (NDJSON): a log collector or `jq -c` reads each line on its own.
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}

/// Prints each element as its own JSON line (NDJSON), for commands that report several rows.
func printJSONLines<T: Encodable>(_ rows: [T]) throws {
    for r in rows { try printJSON(r) }
}

/// A log line on stdout, flushed as written; timestamped (RFC 3339) when stdout is not a terminal.
func logLine(_ s: String) {
    print(isatty(1) == 1 ? s : LogLines.stamped(s))
    fflush(nil)
}
