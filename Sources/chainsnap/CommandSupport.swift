import ArgumentParser
import Foundation
import SnapshotCore
import Snapshots
import Stores

/// Options every store-using command shares. Credentials are never options: they come from
/// the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE)
/// or from a folder of mounted Secret files (--credentials-dir).
struct StoreFlags: ParsableArguments {
    @Option(help: "S3 endpoint URL (MinIO, Spaces, R2, SeaweedFS…); AWS when omitted.")
    var endpoint: String?
    @Option(help: "S3 region (default: AWS_REGION, else us-east-1).")
    var region: String?
    @Flag(help: "Use path-style S3 addressing (endpoint/bucket/key).")
    var pathStyle = false
    @Option(help: "Folder of mounted Secret files holding S3 credentials (access-key-id, secret-access-key[, session-token]).")
    var credentialsDir: String?
    @Option(help: "AWS shared-credentials profile.")
    var profile: String?
    @Option(help: "Extra CA bundle (PEM) to trust for https:// and S3 endpoints, besides the system's.")
    var caFile: String?
    @Flag(help: "Offer HTTP/2 over TLS (for CDNs that limit connections; HTTP/1.1 is faster otherwise).")
    var http2 = false
    @Option(help: "Parallel connections for transfers.")
    var connections: Int = 16
    @Option(help: "Memory budget for buffered data (e.g. 256MiB): downloads in flight and queued take at most half.")
    var memoryLimit: String = "256MiB"

    func options() throws -> StoreOptions {
        guard connections >= 1 && connections <= 256 else {
            throw ValidationError("--connections must be between 1 and 256")
        }
        let mem = try parseSizeOption("--memory-limit", memoryLimit)
        guard mem >= 16 << 20 else { throw ValidationError("--memory-limit must be at least 16MiB") }
        return StoreOptions(endpoint: endpoint, region: region, pathStyle: pathStyle ? true : nil,
                            credentialsDir: credentialsDir, profile: profile, caFile: caFile,
                            connections: connections, memoryLimit: mem, http2: http2, log: { writeStderr($0 + "\n") })
    }

    func open(_ url: String) throws -> any ObjectStore {
        try openStore(url, options: options())
    }
}

/// Runs a command body, turning errors into a clear message and the documented exit code.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ChainsnapError {
        writeStderr("chainsnap: error: \(e.description)\n")
        throw ExitCode(e.code == .targetNotEmpty ? 3 : 1)
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

/// Prints an Encodable value as pretty JSON on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}
