import NodeRPC

/// `node prepare-data` runs `snapshot restore` through this name; the runner is `NodeRPC.SelfExec`.
typealias NodeSelfExec = SelfExec
