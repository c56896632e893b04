#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnapshotCore

/// Standard input read in order (a pipe cannot be read at an offset): `rlp split -` behind
/// `curl …aa …ab | chainsnap rlp split -`.
public enum StandardInput {
    /// Fills as much of `buffer` as the stream gives before it ends; returns the bytes read (0 at the end).
    public static func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try Syscall.run("read", path: "standard input") { readStandardInput(buffer.baseAddress! + done, buffer.count - done) }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// read(2) on descriptor 0 (the module name differs between Glibc and Darwin).
private func readStandardInput(_ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(0, p, n)
    #else
    return Darwin.read(0, p, n)
    #endif
}
