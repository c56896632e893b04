import Foundation
import SnapshotCore

/// Where a node keeps its data: the data folder (the PVC mount), the chain data paths under it
/// (the only ones a clear may remove), the one a snapshot restores into, and the paths that can
/// never be cleared (staking keys). The initializer enforces the rules, so a `DataLayout` value
/// is always safe to act on.
public struct DataLayout: Equatable, Sendable {
    /// The node's data folder.
    public let dataDir: String
    /// Chain data paths under `dataDir`, in the order given.
    public let chainData: [String]
    /// The chain data path the snapshot restores into (one of `chainData`).
    public let restorePath: String
    /// Paths under `dataDir` that no chain data path may equal, contain or lie inside.
    public let protected: [String]

    /// The file under `dataDir` recording the last clear-data token acted on.
    public static let clearDataTokenName = ".chainsnap-clear-data-token"

    /// Checks the paths: relative and inside the data folder (`PathRules`), at least one chain
    /// data path, none overlapping a protected path, and the restore path one of them.
    /// Throws `.invalidArgument` naming the flag to fix.
    public init(dataDir: String, chainData: [String], restorePath: String? = nil, protected: [String] = ["staking"]) throws {
        func bad(_ message: String) -> ChainsnapError { ChainsnapError(.invalidArgument, message) }
        guard let first = chainData.first else { throw bad("give at least one --chain-data path, e.g. --chain-data db") }
        for p in chainData + protected + [restorePath].compactMap({ $0 }) {
            guard (try? PathRules.checkEntryPath(p)) != nil else {
                throw bad("'\(p)' must be a relative path inside --data-dir (no '..', no leading '/', not '.')")
            }
        }
        for c in chainData {
            for k in protected where PathRules.overlaps(c, k) {
                throw bad("--chain-data '\(c)' overlaps protected path '\(k)'; clearing it could delete keys — list only chain data folders")
            }
        }
        if let restorePath, !chainData.contains(restorePath) {
            throw bad("--restore-path '\(restorePath)' must be one of the --chain-data paths")
        }
        self.dataDir = dataDir
        self.chainData = chainData
        self.restorePath = restorePath ?? first
        self.protected = protected
    }

    /// `dataDir/subpath`.
    public func path(_ subpath: String) -> String { (dataDir as NSString).appendingPathComponent(subpath) }

    /// The restore target folder, `dataDir/restorePath`.
    public var target: String { path(restorePath) }

    /// `dataDir/.chainsnap-clear-data-token`.
    public var clearDataTokenFile: String { path(Self.clearDataTokenName) }
}
