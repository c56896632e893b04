import Foundation
import RestoreCore

/// A fixed-size byte buffer handed between the pipeline's stages (and reused).
final class ArchiveBlock: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// A FIFO between threads: `pop` blocks until an item arrives or the queue is closed.
final class ArchiveQueue<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [T?] = []
    private var head = 0
    private var closed = false

    /// Adds an item; returns false (dropping it) when the queue was closed.
    @discardableResult
    func push(_ item: T) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        if closed { return false }
        items.append(item)
        cond.signal()
        return true
    }

    /// The next item, or nil once the queue is closed and drained.
    func pop() -> T? {
        cond.lock()
        defer { cond.unlock() }
        while head == items.count && !closed { cond.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        items[head] = nil  // release it now: items can be large buffers
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// No more items will come; with `discard`, pending items are dropped too (on failure).
    func close(discard: Bool = false) {
        cond.lock()
        closed = true
        if discard { items.removeAll(); head = 0 }
        cond.broadcast()
        cond.unlock()
    }
}

/// A counting semaphore awaited by async code and released by worker threads.
/// It bounds how many archive ranges are downloaded or buffered at once.
final class ArchivePermits: @unchecked Sendable {
    private let lock = NSLock()
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var cancelled = false

    init(_ count: Int) { available = count }

    func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if cancelled || available == 0 { return false }
        available -= 1
        return true
    }

    /// Waits for a permit; returns at once (without one) after `cancel()`.
    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if cancelled || available > 0 {
                if !cancelled { available -= 1 }
                lock.unlock()
                c.resume()
            } else {
                waiters.append(c)
                lock.unlock()
            }
        }
    }

    func release() {
        lock.lock()
        if !waiters.isEmpty {
            let c = waiters.removeFirst()
            lock.unlock()
            c.resume()
        } else {
            available += 1
            lock.unlock()
        }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let w = waiters
        waiters.removeAll()
        lock.unlock()
        for c in w { c.resume() }
    }
}

/// The first error of any stage; later ones are consequences and are dropped.
typealias ArchiveFailure = Locked<(any Error)?>

extension Locked where Value == (any Error)? {
    /// Records `e` if it is the first failure. Returns true when it was.
    @discardableResult
    func record(_ e: any Error) -> Bool {
        withLock { error in
            if error != nil { return false }
            error = e
            return true
        }
    }

    var current: (any Error)? { withLock { $0 } }

    var failed: Bool { current != nil }
}

/// Runs `body` on a thread of its own (blocking work must stay off the cooperative pool)
/// and resumes when it returns.
func runOnThread(_ name: String, _ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let t = Thread {
            body()
            c.resume()
        }
        t.name = name
        t.stackSize = 1 << 20
        t.start()
    }
}
