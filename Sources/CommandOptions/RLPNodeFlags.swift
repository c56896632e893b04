import ArgumentParser
import ChainData
import Foundation
import NodeRPC

/// Where the node's APIs are: luxd defaults (`/ext/bc/C/rpc`, `/ext/bc/C/admin`, `/ext/health`), or `--geth` for `/`.
public struct RLPNodeFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("The node's base URL, e.g. http://127.0.0.1:9650.", valueName: "url"))
    public var rpc: String

    @Flag(help: "geth-style node: every API at / (overrides the path defaults).")
    public var geth = false

    @Option(help: ArgumentHelp("JSON-RPC path for eth_* and debug_* (luxd C-chain: /ext/bc/C/rpc; geth: /).", valueName: "path"))
    public var rpcPath: String?

    @Option(help: ArgumentHelp("Path of admin_importChain (luxd: /ext/bc/C/admin; geth: /).", valueName: "path"))
    public var adminPath: String?

    @Option(help: ArgumentHelp("Health path (luxd: /ext/health).", valueName: "path"))
    public var healthPath: String?

    @Option(help: ArgumentHelp("Seconds before one RPC call gives up.", valueName: "seconds"))
    public var rpcTimeout: Double = 120

    public init() {}

    public func client() -> NodeClient {
        var e = geth ? NodeEndpoints.geth(rpc) : NodeEndpoints(baseURL: rpc)
        if let rpcPath { e.rpcPath = rpcPath }
        if let adminPath { e.adminPath = adminPath }
        if let healthPath { e.healthPath = healthPath }
        return NodeClient(endpoints: e, timeout: rpcTimeout)
    }
}

/// Progress lines for `rlp` commands, on stderr so stdout stays machine-readable.
@Sendable public func rlpLog(_ line: String) {
    FileHandle.standardError.write(Data(("chainsnap: " + line + "\n").utf8))
}

/// How parts are cut (one of three).
public struct RLPCutFlags: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Cut a part every N blocks.", valueName: "n"))
    public var blocksPerPart: Int?
    @Option(help: ArgumentHelp("Cut parts at about this much raw RLP (e.g. 64MiB; default for new bundles).", valueName: "size"))
    public var partSize: String?
    @Flag(help: "Cut one part per UTC day of the block timestamps (the bundle is then a daily chunk index).")
    public var byDay = false

    public init() {}

    public func validate() throws { _ = try cut() }

    /// The cut asked for; nil keeps an existing bundle's own (or the default for a new one).
    public func cut() throws -> PartCut? {
        try asUsageError { try PartCut.choose(blocksPerPart: blocksPerPart, partSize: partSize, byDay: byDay) }
    }
}
