import ArgumentParser
import Foundation
import NodeRPC

/// Where the node's APIs are: luxd defaults (`/ext/bc/C/rpc`, `/ext/bc/C/admin`, `/ext/health`), or `--geth` for `/`.
struct RLPNodeFlags: ParsableArguments {
    @Option(help: ArgumentHelp("The node's base URL, e.g. http://127.0.0.1:9650.", valueName: "url"))
    var rpc: String

    @Flag(help: "geth-style node: every API at / (overrides the path defaults).")
    var geth = false

    @Option(help: ArgumentHelp("JSON-RPC path for eth_* and debug_* (luxd C-chain: /ext/bc/C/rpc; geth: /).", valueName: "path"))
    var rpcPath: String?

    @Option(help: ArgumentHelp("Path of admin_importChain (luxd: /ext/bc/C/admin; geth: /).", valueName: "path"))
    var adminPath: String?

    @Option(help: ArgumentHelp("Health path (luxd: /ext/health).", valueName: "path"))
    var healthPath: String?

    @Option(help: ArgumentHelp("Seconds before one RPC call gives up.", valueName: "seconds"))
    var rpcTimeout: Double = 120

    func client() -> NodeClient {
        var e = geth ? NodeEndpoints.geth(rpc) : NodeEndpoints(baseURL: rpc)
        if let rpcPath { e.rpcPath = rpcPath }
        if let adminPath { e.adminPath = adminPath }
        if let healthPath { e.healthPath = healthPath }
        return NodeClient(endpoints: e, timeout: rpcTimeout)
    }
}

/// Progress lines for `rlp` commands, on stderr so stdout stays machine-readable.
@Sendable func rlpLog(_ line: String) {
    FileHandle.standardError.write(Data(("chainsnap: " + line + "\n").utf8))
}
