#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rendezvous for tests that must act at an exact moment inside a run (kill it mid-commit,
/// start a second restore while the first holds the target, change a file while it is read).
///
/// With `CHAINSNAP_TEST_PAUSE=POINT` and `CHAINSNAP_TEST_PAUSE_FILE=PATH` in the environment,
/// `here(POINT)` creates PATH (holding the pid and the detail), then waits until the test removes
/// it. Without both variables, or at any other point, it returns at once: operators never set them.
public enum TestPause {
    public static func here(_ point: String, detail: String = "") {
        guard let want = getenv("CHAINSNAP_TEST_PAUSE").map({ String(cString: $0) }), want == point,
              let file = getenv("CHAINSNAP_TEST_PAUSE_FILE").map({ String(cString: $0) }) else { return }
        let text = Array("\(getpid()) \(point) \(detail)\n".utf8)
        let tmp = file + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        rename(tmp, file)
        while access(file, F_OK) == 0 { usleep(10_000) }
    }
}
