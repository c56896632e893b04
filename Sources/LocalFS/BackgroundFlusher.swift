#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import SnapshotCore

/// fsyncs finished files on a background thread, so the disk writes while the CPU keeps
/// compressing or decompressing, instead of one long flush at the end. `wait()` returns once
/// every enqueued file is durable (and throws the first fsync failure).
public final class BackgroundFlusher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "chainsnap.flusher", qos: .utility)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: ChainsnapError?
    private var dirs: Set<String> = []

    public init() {}

    /// fsyncs `path` soon; its folder is fsynced at `wait()`.
    public func enqueue(_ path: String) {
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            do {
                try RawFile(readingAt: path).sync()
            } catch {
                let e = error as? ChainsnapError ?? ChainsnapError(.io, "fsync '\(path)' failed", object: path, underlying: error)
                lock.withLock { if failure == nil { failure = e } }
            }
            let dir = FS.parent(of: path)
            lock.withLock { _ = dirs.insert(dir) }
        }
    }

    /// Waits until everything enqueued so far is on disk, folders included.
    public func wait() throws {
        group.wait()
        let (e, d) = lock.withLock { () -> (ChainsnapError?, Set<String>) in
            let r = (failure, dirs)
            dirs = []
            return r
        }
        if let e { throw e }
        for dir in d { FS.syncDirectory(dir) }
    }
}
