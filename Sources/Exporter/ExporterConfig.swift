import Foundation
import LocalFS
import SnapshotCore

/// `chainsnap exporter --config FILE`: more stores and nodes to watch, as JSON
/// (`{"stores": ["s3://…"], "rpc": ["http://…"], "network": "mainnet"}`), added to the flags.
public struct ExporterConfig: Decodable, Sendable, Equatable {
    public var stores: [String]?
    public var rpc: [String]?
    public var network: String?

    public init(stores: [String]? = nil, rpc: [String]? = nil, network: String? = nil) {
        self.stores = stores
        self.rpc = rpc
        self.network = network
    }

    /// The largest config file read (1 MiB).
    public static let maxBytes = 1 << 20

    /// The file at `path` (an empty config when nil). A file that is missing, unreadable, over
    /// `maxBytes` or not this JSON is an `.invalidArgument` error saying which.
    public static func load(_ path: String?) throws -> ExporterConfig {
        guard let path else { return ExporterConfig() }
        guard let st = FS.lstatus(path), st.st_size < maxBytes, let bytes = try? FS.readFile(path) else {
            throw ChainsnapError(.invalidArgument, "cannot read --config '\(path)' (missing, unreadable or over 1 MiB)")
        }
        do { return try JSONDecoder().decode(ExporterConfig.self, from: Data(bytes)) } catch {
            throw ChainsnapError(.invalidArgument, "--config '\(path)' is not the exporter's JSON",
                                 hint: #"expected {"stores": ["s3://…"], "rpc": ["http://…"], "network": "mainnet"}"#, underlying: error)
        }
    }

    /// What to watch: the flags' stores and nodes, then the file's; at least one in all.
    public func watched(stores flagStores: [String], rpc flagRPC: [String]) throws -> (stores: [String], nodes: [String]) {
        let s = flagStores + (stores ?? []), n = flagRPC + (rpc ?? [])
        guard !s.isEmpty || !n.isEmpty else {
            throw ChainsnapError(.invalidArgument, "no stores or nodes to watch", hint: "give --store or --rpc, or list them in --config")
        }
        return (s, n)
    }
}

extension Exporter {
    /// Serves `/metrics` and `/healthz` from this exporter on `server`, on a thread of its own
    /// (the server's accept loop blocks). Returns at once.
    public func serve(on server: HTTPServer) {
        Thread.detachNewThread { server.serve { self.handle($0) } }
    }

    /// `chainsnap exporter`: serves on `listen` (`:PORT` or `HOST:PORT`) and looks at every store
    /// and node until the task is cancelled (then the server stops). The line handed to `announce`
    /// first ends with the port (tests and scripts read it); `log` gets what is watched.
    public func serve(listen: String, announce: (String) -> Void, log: (String) -> Void) async throws {
        let host = try HTTPServer.parseListen(listen).host
        let server = try HTTPServer(listen: listen)
        defer { server.stop() }
        serve(on: server)
        announce("chainsnap exporter listening on \(host) port \(server.port)")
        log("chainsnap exporter: watching \(stores.count) store(s) and \(nodes.count) node(s), every \(formatDuration(interval)), timeout \(formatDuration(timeout))")
        await run()
    }
}
