#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LocalFS
import SnapshotCore

extension ChainsnapError.Code {
    /// Another chainsnap run holds the restore target (`TargetLock`).
    public static let targetBusy = Self("target-busy")
}

/// One restore per target: an exclusive `flock` on `TARGET/.chainsnap-lock`, held for a whole
/// snapshot restore, archive restore or `node prepare-data` (its clear step included).
///
/// A second run into the same target refuses at once (or waits up to `wait` seconds) with a
/// message naming the holder's pid and what it restores, and never touches the holder's staging.
/// The lock dies with its process (even on `kill -9`), so nothing stale is left to clean up.
///
/// Within one process the lock is re-entrant (prepare-data's clear step, then its restore).
/// A child process the holder starts can hold the same lock: `exportToChildren()` hands it an
/// inherited descriptor of the same open file description through `CHAINSNAP_TARGET_LOCK`.
public final class TargetLock: @unchecked Sendable {
    /// The environment variable naming an inherited, already locked descriptor: `FD:PATH` (the
    /// path for people; the descriptor is used when it is the lock file of the target at hand).
    public static let environmentKey = "CHAINSNAP_TARGET_LOCK"

    /// Who holds the lock: written into the lock file right after locking.
    public struct Holder: Codable, Sendable, Equatable {
        public var pid: Int32
        public var what: String
        public var since: String
        public var tool: String
    }

    /// `owned`: this process created the hold (not inherited), so it removes the file at the end.
    private struct Entry { var file: FileLock; var count: Int; var owned: Bool }
    private static let held = Locked<[String: Entry]>([:])

    public let lockPath: String
    private let released = Locked(false)

    private init(lockPath: String) { self.lockPath = lockPath }

    deinit { release() }

    /// The lock file of the target folder `target` (which must exist).
    public static func path(for target: String) -> String { target + "/" + ReservedNames.lock }

    /// Locks `target` for a run that restores `what` (a snapshot id and store, or an archive URL,
    /// redacted). Waits up to `wait` seconds for a holder to finish; throws `.targetBusy` after.
    public static func acquire(target: String, what: String, wait: Double = 0,
                               log: (String) -> Void = { _ in }) throws -> TargetLock {
        let lockPath = path(for: target)
        let reentered = held.withLock { h -> Bool in
            guard var e = h[lockPath] else { return false }
            e.count += 1
            h[lockPath] = e
            return true
        }
        if reentered { return TargetLock(lockPath: lockPath) }

        let deadline = monotonicSeconds() + max(0, wait)
        var told = false
        var file: FileLock
        var owned: Bool
        while true {
            if let f = inherited(lockPath) { (file, owned) = (f, false) } else { (file, owned) = (try FileLock(path: lockPath), true) }
            while try !file.tryLock() {
                let holder = Self.holder(lockPath)
                if monotonicSeconds() >= deadline {
                    throw busyError(target: target, holder: holder, waited: wait)
                }
                if !told {
                    log("waiting up to \(Int(wait)) s for \(holder.map(describe) ?? "another chainsnap run") to release '\(target)'")
                    told = true
                }
                usleep(200_000)
            }
            // The holder we waited for removed the file as it finished: lock the path's file afresh.
            if file.isStillAtPath() { break }
        }
        let me = Holder(pid: getpid(), what: what, since: ISO8601DateFormatter().string(from: Date()), tool: "chainsnap \(toolVersion)")
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.describe(Array(try enc.encode(me)) + [10])
        held.withLock { [file, owned] in $0[lockPath] = Entry(file: file, count: 1, owned: owned) }
        return TargetLock(lockPath: lockPath)
    }

    /// Releases this hold; the `flock` goes when the last hold in this process is released.
    public func release() {
        guard released.withLock({ r -> Bool in defer { r = true }; return !r }) else { return }
        Self.held.withLock { h in
            guard var e = h[lockPath] else { return }
            e.count -= 1
            if e.count == 0 {
                // Removed while still locked, so a finished restore leaves no file behind and a
                // waiter re-opens the path (see `FileLock`). A killed run leaves the file: harmless.
                // An inherited hold only closes its descriptor: unlocking would free the parent's lock.
                if e.owned {
                    e.file.removeFile()
                    e.file.unlock()
                }
                h[lockPath] = nil
            } else {
                h[lockPath] = e
            }
        }
    }

    /// Lets child processes started from now on hold this lock too (they inherit a descriptor of
    /// the same open file description, named in `CHAINSNAP_TARGET_LOCK`).
    public func exportToChildren() throws {
        guard let file = Self.held.withLock({ $0[lockPath]?.file }) else { return }
        let fd = try file.inheritableDuplicate()
        setenv(Self.environmentKey, "\(fd):\(lockPath)", 1)
    }

    /// What the lock file says about its holder, when it can be read.
    public static func holder(_ lockPath: String) -> Holder? {
        try? JSONDecoder().decode(Holder.self, from: Data(FileLock.contents(of: lockPath)))
    }

    static func describe(_ h: Holder) -> String { "pid \(h.pid) (restoring \(h.what), since \(h.since))" }

    static func busyError(target: String, holder: Holder?, waited: Double) -> ChainsnapError {
        let who = holder.map(describe) ?? "another chainsnap run"
        let after = waited > 0 ? " after waiting \(Int(waited)) s" : ""
        return ChainsnapError(.targetBusy, "'\(target)' is locked by \(who)\(after); nothing was changed",
                              object: lockPath(target),
                              hint: "one restore per target: let that run finish (or stop it), pass --wait-lock SECONDS to wait for it, or restore into another folder")
    }

    private static func lockPath(_ target: String) -> String { path(for: target) }

    /// The descriptor a parent handed down for `lockPath`, if any and if it is really that file.
    private static func inherited(_ lockPath: String) -> FileLock? {
        guard let v = ProcessInfo.processInfo.environment[environmentKey],
              let colon = v.firstIndex(of: ":"), let fd = Int32(v[..<colon])
        else { return nil }
        // The same file (device and inode), however the child spells the target's path.
        return FileLock(inherited: fd, path: lockPath)
    }
}
