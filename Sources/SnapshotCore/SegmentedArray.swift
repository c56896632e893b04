/// An append-only array kept in fixed-size segments, so growing it never copies what it holds.
///
/// A Swift `Array` grows by doubling: at a million 56-byte records the last growth holds the old
/// 28 MB and the new 56 MB at once, and up to half of the new capacity stays unused. Here growth
/// adds one segment of `segmentSize` elements, and at most one segment is partly empty.
struct SegmentedArray<Element: Sendable>: Sendable {
    static var segmentShift: Int { 13 }
    static var segmentSize: Int { 1 << segmentShift }

    private var segments: [[Element]] = []
    private(set) var count = 0

    init() {}

    subscript(i: Int) -> Element {
        get { segments[i >> Self.segmentShift][i & (Self.segmentSize - 1)] }
        set { segments[i >> Self.segmentShift][i & (Self.segmentSize - 1)] = newValue }
    }

    mutating func append(_ e: Element) {
        if count & (Self.segmentSize - 1) == 0 {
            var s: [Element] = []
            s.reserveCapacity(Self.segmentSize)
            segments.append(s)
        }
        segments[segments.count - 1].append(e)
        count += 1
    }

    /// Bytes of element storage allocated.
    var capacityBytes: Int { segments.count * Self.segmentSize * MemoryLayout<Element>.stride }

    /// Reorders the elements so position `k` holds the element that was at `order[k]` (`order` is
    /// a permutation of `0..<count`), in place: one flag per element, no second copy.
    mutating func permute(_ order: [Int]) {
        precondition(order.count == count)
        var done = [Bool](repeating: false, count: count)
        for start in 0..<count where !done[start] {
            let first = self[start]
            var k = start
            while true {
                done[k] = true
                let from = order[k]
                if from == start { self[k] = first; break }
                self[k] = self[from]
                k = from
            }
        }
    }
}
