import Foundation
import SnapshotCore

/// The head a restored node must have: the block height and hash the snapshot recorded
/// (`source.height`/`source.blockHash` of its manifest, copied into the restore marker).
public struct ExpectedHead: Sendable, Equatable {
    public var number: UInt64
    /// Lowercase, `0x`-prefixed.
    public var hash: String
    /// Where the expectation comes from, for messages (the marker's path and snapshot id).
    public var origin: String

    public init(number: UInt64, hash: String, origin: String) {
        self.number = number
        let h = hash.lowercased()
        self.hash = h.hasPrefix("0x") ? h : "0x" + h
        self.origin = origin
    }
}

/// Asks a started node for the block at the expected height and compares its hash.
///
/// Byte hashes prove the files arrived as published; only the node can tell whether the database
/// they form holds the chain the snapshot claims (a snapshot of a corrupt database passes every
/// byte check). The node may answer slowly or not have opened its chain yet, so RPC errors and a
/// missing block are asked again until `timeout`; a different hash is final at once.
public enum HeadCheck {
    public enum Verdict: Sendable, Equatable {
        /// The node has the block with the expected hash.
        case matches
        /// The node's block at that height has another hash.
        case differs(got: String)
        /// The node does not have the block (its head is `nodeHeight`, when it said).
        case missing(nodeHeight: UInt64?)
        /// The node did not answer the RPC (the last error).
        case unanswered(String)
    }

    public static func run(_ node: NodeClient, expect: ExpectedHead, timeout: Double, interval: Double = 1,
                           stop: @Sendable () -> Bool = { false }) async -> Verdict {
        let deadline = Date().addingTimeInterval(timeout)
        var last = Verdict.unanswered("no answer yet")
        repeat {
            do {
                if let b = try await node.blockHead(expect.number) {
                    return b.hash == expect.hash ? .matches : .differs(got: b.hash)
                }
                last = .missing(nodeHeight: try? await node.blockNumber())
            } catch {
                last = .unanswered(String(describing: error))
            }
            if stop() || Date() >= deadline { break }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        } while !stop() && Date() < deadline
        return last
    }

    /// The operator's message for a verdict other than `matches`.
    public static func failure(_ v: Verdict, expect: ExpectedHead) -> String {
        let want = "block \(expect.number) with hash \(expect.hash) (\(expect.origin))"
        switch v {
        case .matches:
            return ""
        case .differs(let got):
            return "the restored node's block \(expect.number) has hash \(got), not the \(expect.hash) the snapshot recorded (\(expect.origin)): the restored database does not hold the snapshot's chain"
        case .missing(let h):
            return "the restored node does not have \(want)" + (h.map { "; its head is \($0)" } ?? "") + ": the restored database is behind the snapshot or damaged"
        case .unanswered(let e):
            return "the node did not answer eth_getBlockByNumber for \(want) in time: \(e)"
        }
    }
}
