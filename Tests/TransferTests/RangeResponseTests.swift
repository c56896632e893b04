import Testing
@testable import Transfer

@Suite("Range responses: what bytes to keep (pure)")
struct RangeResponseTests {
    @Test func parsesContentRange() {
        #expect(ContentRange(parsing: "bytes 0-9/100") == ContentRange(first: 0, last: 9, total: 100))
        #expect(ContentRange(parsing: "bytes 10-19/*") == ContentRange(first: 10, last: 19, total: nil))
        #expect(ContentRange(parsing: "bytes */100") == nil)
        #expect(ContentRange(parsing: "bytes 9-3/100") == nil)
        #expect(ContentRange(parsing: "bytes 0-100/100") == nil)
        #expect(ContentRange(parsing: "items 0-1/2") == nil)
    }

    @Test func partialContentMatchingTheRangeIsKept() {
        #expect(BodyPlan.make(requested: 10..<20, status: 206, contentRange: "bytes 10-19/100", contentLength: 10)
                == .whole(length: 10))
        // Clamped at the end of the object.
        #expect(BodyPlan.make(requested: 90..<200, status: 206, contentRange: "bytes 90-99/100", contentLength: 10)
                == .whole(length: 10))
    }

    @Test func wrongRangesAreRejected() {
        guard case .reject = BodyPlan.make(requested: 10..<20, status: 206, contentRange: "bytes 9-18/100", contentLength: 10)
        else { Issue.record("a shifted range must be rejected"); return }
        guard case .reject = BodyPlan.make(requested: 10..<20, status: 206, contentRange: "bytes 10-14/100", contentLength: 5)
        else { Issue.record("a shorter range not at the end must be rejected"); return }
        guard case .reject = BodyPlan.make(requested: 10..<20, status: 206, contentRange: nil, contentLength: 7)
        else { Issue.record("206 without Content-Range of another length must be rejected"); return }
        guard case .reject = BodyPlan.make(requested: nil, status: 206, contentRange: "bytes 0-9/100", contentLength: 10)
        else { Issue.record("a partial answer to a plain GET must be rejected"); return }
    }

    @Test func wholeBodyToARangeRequestIsSliced() {
        #expect(BodyPlan.make(requested: 10..<20, status: 200, contentRange: nil, contentLength: 100)
                == .slice(skip: 10, take: 10))
        #expect(BodyPlan.make(requested: 95..<200, status: 200, contentRange: nil, contentLength: 100)
                == .slice(skip: 95, take: 5))
        #expect(BodyPlan.make(requested: 10..<20, status: 200, contentRange: nil, contentLength: nil)
                == .slice(skip: 10, take: 10))
        guard case .reject = BodyPlan.make(requested: 100..<120, status: 200, contentRange: nil, contentLength: 100)
        else { Issue.record("a range past the end must be rejected"); return }
        #expect(BodyPlan.make(requested: 10..<30, status: 206, contentRange: "bytes 10-39/100", contentLength: 30)
                == .slice(skip: 0, take: 20))
    }

    @Test func plainGetsKeepTheBody() {
        #expect(BodyPlan.make(requested: nil, status: 200, contentRange: nil, contentLength: 5) == .whole(length: 5))
        #expect(BodyPlan.make(requested: nil, status: 200, contentRange: nil, contentLength: nil) == .whole(length: nil))
    }

    @Test func splitsObjectsIntoRanges() {
        #expect(RangePlanner.split(size: 10, partSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(RangePlanner.split(size: 8, partSize: 4) == [0..<4, 4..<8])
        #expect(RangePlanner.split(size: 0, partSize: 4) == [0..<0])
        let parts = RangePlanner.split(size: 1_000_003, partSize: 65536)
        #expect(parts.first?.lowerBound == 0 && parts.last?.upperBound == 1_000_003)
        #expect(zip(parts, parts.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }
}
