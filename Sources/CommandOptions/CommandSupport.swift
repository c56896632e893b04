import ArgumentParser
import Codecs
import Foundation
import RestoreCore
import SnapshotCore

/// `--compression zstd|lz4`: an unknown codec is a usage error (exit 64) listing the choices.
extension ChunkCodec: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// Runs a library check inside `validate()`: its `.invalidArgument` errors become usage
/// errors (exit 64, with the usage line), everything else passes through.
public func asUsageError<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ChainsnapError where e.code == .invalidArgument {
        throw ValidationError(e.hint.map { "\(e.message) (\($0))" } ?? e.message)
    }
}

/// Parses the value of a size option (`--memory-limit`, `--chunk-size`, `--part-size`); a value
/// that is not a size, or is too large to hold, is a usage error (exit 64) naming the option.
public func parseSizeOption(_ flag: String, _ text: String) throws -> Int64 {
    try asUsageError { try ByteCount.parseOption(flag, text) }
}

/// Runs a command body, turning errors into a clear message and the documented exit code:
/// a `ChainsnapError` prints `chainsnap: error: …` and exits with its `exitStatus`; a
/// `ReportedExit` (its message is already on stderr) exits with its status and prints nothing;
/// argument-parser outcomes pass through; anything else prints and exits 1.
public func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ChainsnapError {
        writeStderr("chainsnap: error: \(e.description)\n")
        throw ExitCode(e.exitStatus)
    } catch let e as ReportedExit {
        throw ExitCode(e.status)
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
public func checkHTTPURL(_ flag: String, _ url: String, example: String? = nil) throws {
    guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
        throw ValidationError("\(flag) '\(url)' must be an http:// or https:// URL" + (example.map { ", e.g. " + $0 } ?? ""))
    }
}

/// `--rpc-port`-style options: a TCP port, else a usage error.
public func checkPort(_ flag: String, _ port: Int?) throws {
    if let port, !(1...65535).contains(port) { throw ValidationError("\(flag) must be between 1 and 65535") }
}

/// Prints an Encodable value as one line of JSON (sorted keys) on stdout.
public func printJSON<T: Encodable>(_ value: T) throws {
    print(try jsonLine(value))
}

/// An Encodable value as one line of JSON: NDJSON, so a log collector or `jq -c` reads each line on its own.
public func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try enc.encode(value), as: UTF8.self)
}

/// Prints each element as its own JSON line (NDJSON), for commands that report several rows.
public func printJSONLines<T: Encodable>(_ rows: [T]) throws {
    for r in rows { try printJSON(r) }
}

/// A log line on stdout, flushed as written; timestamped (RFC 3339) when stdout is not a terminal.
public func logLine(_ s: String) {
    print(isatty(1) == 1 ? s : LogLines.stamped(s))
    fflush(nil)
}

/// The node URL that usage errors of `--rpc` give as an example.
public let localNodeURLExample = "http://127.0.0.1:9650"
