import Foundation
import Testing
import LocalFS
import RestoreCore
import SnapshotCore
import TestSupport

@Suite struct TargetLockTests {
    @Test func flockIsExclusiveBetweenOpenFilesAndFreedByUnlock() throws {
        let t = TempDir("flock")
        let path = t.sub("lock")
        let a = try FileLock(path: path), b = try FileLock(path: path)
        #expect(try a.tryLock())
        #expect(try !b.tryLock(), "a second open file description cannot take the lock")
        a.unlock()
        #expect(try b.tryLock())
    }

    @Test func reentrantInOneProcessNamesItsHolderAndRemovesItsFileWhenDone() throws {
        let t = TempDir("tlock")
        let outer = try TargetLock.acquire(target: t.path, what: "snapshot S1 from file:///store")
        let holder = try #require(TargetLock.holder(TargetLock.path(for: t.path)))
        #expect(holder.pid == getpid() && holder.what == "snapshot S1 from file:///store")
        // prepare-data's clear step holds it, then its restore takes it again in the same process.
        let inner = try TargetLock.acquire(target: t.path, what: "snapshot S1 from file:///store")
        inner.release()
        #expect(FileManager.default.fileExists(atPath: t.path + "/" + ReservedNames.lock), "still held by the outer hold")
        let other = try FileLock(path: TargetLock.path(for: t.path))
        #expect(try !other.tryLock())
        outer.release()
        #expect(!FileManager.default.fileExists(atPath: t.path + "/" + ReservedNames.lock))
        #expect(try other.tryLock(), "free once the last hold is released")
        #expect(!other.isStillAtPath(), "the waiter sees the file was removed and would open the path again")
    }

    @Test func theLockFileIsAReservedName() {
        #expect(ReservedNames.all.contains(".chainsnap-lock"))
    }
}
