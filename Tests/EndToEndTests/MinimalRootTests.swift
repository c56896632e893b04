import Foundation
import Testing
import TestSupport

/// The chainsnap folder the chart copies into the node container, run in a bare Debian root
/// (debootstrap minbase: glibc, no libcurl/liblz4/libssl3) with chroot: `--version`, the loader's
/// library list (all from the bundle), and a file:// snapshot restore. scripts/test-minimal-root.sh
/// does the work and caches the root in .build-chroot/ (first run: a minbase debootstrap, about
/// 1-3 minutes and 40 MB from the Debian mirror; later runs: seconds).
@Suite("chainsnap in a minimal Debian root")
struct MinimalRootTests {
    static let script = Paths.packageRoot + "/scripts/test-minimal-root.sh"
    /// debootstrap and chroot need root and the debootstrap program (or an already cached root).
    static var canRun: Bool {
        let cached = FileManager.default.isExecutableFile(atPath: Paths.packageRoot + "/.build-chroot/bookworm-minbase/bin/sh")
        let tool = ["/usr/sbin/debootstrap", "/usr/bin/debootstrap"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        return getuid() == 0 && (cached || tool)
    }

    @Test("the bundled chainsnap runs and restores in a debootstrap minbase root (skipped without root or debootstrap)",
          .enabled(if: canRun, "needs root and debootstrap (apt-get install debootstrap patchelf), or a cached root in .build-chroot/"))
    func runsInMinimalRoot() throws {
        let r = try run("/bin/sh", [Self.script, Paths.chainsnapBinary])
        // 77: debootstrap could not reach the mirror; the script says why.
        try #require(r.status != 77, "skipped by the script: \(r.output)")
        #expect(r.status == 0, "\(r.output.suffix(3000))")
        #expect(r.stdout.contains("all non-glibc libraries from"), "\(r.stdout)")
        #expect(r.stdout.contains("PASSED: chainsnap runs in a bare Debian root"), "\(r.stdout)")
    }
}
