import SnapshotCore
import Transfer

/// One object (or byte range of one) to fetch in bulk.
public struct FetchRequest: Sendable, Hashable {
    public var key: String
    /// Byte range within the object; nil for the whole object.
    public var range: Range<Int64>?
    /// The expected size of what is fetched, when known (used for memory accounting and to spot short bodies).
    public var expectedSize: Int64?

    public init(key: String, range: Range<Int64>? = nil, expectedSize: Int64? = nil) {
        self.key = key
        self.range = range
        self.expectedSize = expectedSize
    }
}

/// A store that fetches many objects concurrently through the parallel downloader.
///
/// `fetchAll` keeps up to `StoreOptions.connections` requests in flight, retries transient
/// faults, and calls `consume` on worker threads (several at once) with each complete body,
/// while further downloads continue. Bytes held in flight plus bytes waiting for a worker
/// never exceed `StoreOptions.memoryLimit`. The first error thrown by `consume` or a
/// non-retryable fetch failure cancels the rest and is rethrown.
public protocol BulkFetching: ObjectStore {
    /// Returns what the downloader did (retries, throttling, connections) for summaries.
    @discardableResult
    func fetchAll(_ requests: [FetchRequest],
                  consume: @escaping @Sendable (FetchRequest, [UInt8]) throws -> Void) async throws -> TransferSummary
}

extension BulkFetching {
    /// Fetches `items` `batchSize` at a time, `request` giving each one's request, and hands each
    /// body to `consume` with its item; returns the batches' summaries added up.
    ///
    /// One batch's requests (and their key and URL strings) are held at a time, so a caller with
    /// 500,000 chunks does not hold some 150 MB of them at once. Items must have distinct keys.
    @discardableResult
    public func fetchAll<Item: Sendable>(_ items: [Item], batchSize: Int, request: (Item) -> FetchRequest,
                                         consume: @escaping @Sendable (Item, [UInt8]) throws -> Void) async throws -> TransferSummary {
        var total = TransferSummary()
        var start = 0
        while start < items.count {
            let batch = items[start..<min(start + max(1, batchSize), items.count)]
            start += batch.count
            let requests = batch.map(request)
            let byKey = Dictionary(zip(requests.map(\.key), batch), uniquingKeysWith: { a, _ in a })
            total.add(try await fetchAll(requests) { req, bytes in try consume(byKey[req.key]!, bytes) })
        }
        return total
    }
}
