import Foundation
import Testing
import TestSupport

/// The Dockerfile and scripts/bundle-chainsnap.sh must agree on one layout (FOLDER/chainsnap with
/// DT_RPATH $ORIGIN/lib, FOLDER/lib/*.so*), and the chart's install-chainsnap step must copy that
/// whole folder: a Dockerfile that copied only the binary, or copied it out of the folder instead
/// of linking it, would ship a chainsnap whose libraries are not where $ORIGIN/lib says. No docker
/// engine here, so the image itself is not built: the Dockerfile is read, and its bundle and
/// symlink steps are replayed on the built binary.
@Suite("Dockerfile uses the bundle layout")
struct DockerfileLayoutTests {
    static let root = Paths.packageRoot

    static func text(_ rel: String) throws -> String { try String(contentsOfFile: root + "/" + rel, encoding: .utf8) }

    /// Dockerfile instructions with continuation lines joined, split into stages at FROM.
    static func stages() throws -> [[String]] {
        var joined: [String] = []
        var cur = ""
        for raw in try text("Dockerfile").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if cur.isEmpty && (line.isEmpty || line.hasPrefix("#")) { continue }
            if line.hasSuffix("\\") { cur += line.dropLast() + " "; continue }
            joined.append(cur + line)
            cur = ""
        }
        var out: [[String]] = []
        for j in joined {
            if j.hasPrefix("FROM ") { out.append([j]) } else if !out.isEmpty { out[out.count - 1].append(j) }
        }
        return out
    }

    /// The folder the build stage bundles into (`scripts/bundle-chainsnap.sh BIN FOLDER`).
    static func bundleFolder(_ build: [String]) -> String? {
        // The binary argument is one quoted word (it holds a $(…) with spaces); the folder follows it.
        let re = try? NSRegularExpression(pattern: #"scripts/bundle-chainsnap\.sh\s+"[^"]*"\s+(\S+)"#)
        for i in build where i.hasPrefix("RUN ") {
            if let m = re?.firstMatch(in: i, range: NSRange(i.startIndex..., in: i)), let r = Range(m.range(at: 1), in: i) {
                return String(i[r])
            }
        }
        return nil
    }

    @Test("bundle script layout = Dockerfile COPY/ENTRYPOINT paths = the chart's install-chainsnap copy")
    func layoutAgrees() throws {
        let script = try Self.text("scripts/bundle-chainsnap.sh")
        // The layout the script writes.
        #expect(script.contains(#"cp "$bin" "$out/chainsnap""#) && script.contains(#"mkdir -p "$out/lib""#)
                && script.contains(#"cp -L "$path" "$out/lib/$name""#), "bundle script writes OUT/chainsnap and OUT/lib/")
        #expect(script.contains(#"--set-rpath '$ORIGIN/lib' "$out/chainsnap""#) && script.contains(#"--set-rpath '$ORIGIN' "$out/lib/$name""#),
                "rpaths: $ORIGIN/lib on the binary, $ORIGIN on each library")

        let stages = try Self.stages()
        try #require(stages.count == 2, "a build and a runtime stage: \(stages.map(\.first))")
        let (build, runtime) = (stages[0], stages[1])
        #expect(build.contains { $0.hasPrefix("COPY scripts/bundle-chainsnap.sh") }, "the build stage has the bundle script")
        #expect(build.contains { $0.contains("swift build -c release --static-swift-stdlib --product chainsnap") })
        let folder = try #require(Self.bundleFolder(build), "the build stage runs scripts/bundle-chainsnap.sh BIN FOLDER")

        // The runtime stage copies that whole folder (not just the binary) to one place.
        let copies = runtime.filter { $0.hasPrefix("COPY ") }.map { $0.split(separator: " ").map(String.init) }
        try #require(copies.count == 1, "one COPY into the runtime image: \(copies)")
        #expect(copies[0].count == 4 && copies[0][1] == "--from=build" && copies[0][2] == folder, "COPY --from=build \(folder) …: \(copies[0])")
        let dest = copies[0].last ?? ""
        // On PATH by a symlink into the folder ($ORIGIN resolves through /proc/self/exe to the real file).
        #expect(runtime.contains("RUN ln -s \(dest)/chainsnap /usr/local/bin/chainsnap"), "symlinked, never copied out of \(dest)")
        #expect(!runtime.contains { $0.contains("cp ") && $0.contains("chainsnap") }, "no copy of the binary outside its folder")
        #expect(runtime.contains("RUN chainsnap --version"), "the image build fails when a library is missing")
        let entry = try #require(runtime.first { $0.hasPrefix("ENTRYPOINT ") })
        #expect(["ENTRYPOINT [\"chainsnap\"]", "ENTRYPOINT [\"/usr/local/bin/chainsnap\"]", "ENTRYPOINT [\"\(dest)/chainsnap\"]"].contains(entry), "\(entry)")

        // The chart copies exactly that folder into the node container (and the chart checks name it).
        let sts = try Self.text("charts/lux/templates/statefulset.yaml")
        #expect(sts.contains(#"command: ["cp", "-R", "\#(dest)/.", "#), "install-chainsnap copies \(dest)/. (the binary and lib/)")
        let checks = try Self.text("Tests/K8sChecks/check_chart.py")
        #expect(checks.contains("\"\(dest)/chainsnap\""), "check_chart.py's image_programs knows \(dest)/chainsnap")
    }

    @Test("the Dockerfile's bundle and symlink steps, replayed: chainsnap runs through the symlink with its libraries from FOLDER/lib",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/patchelf") || Requirements.required, "needs patchelf (apt-get install patchelf)"))
    func replayed() throws {
        let stages = try Self.stages()
        let folder = try #require(Self.bundleFolder(stages[0]))
        let dest = try #require(stages[1].first { $0.hasPrefix("COPY --from=build") }?.split(separator: " ").last.map(String.init))
        let img = TempDir("image")
        let built = img.path + folder, installed = img.path + dest
        let b = try run("/bin/sh", [Self.root + "/scripts/bundle-chainsnap.sh", Paths.chainsnapBinary, built])
        try #require(b.status == 0, "\(b.output)")
        try FileManager.default.createDirectory(atPath: (installed as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if installed != built { try FileManager.default.copyItem(atPath: built, toPath: installed) }
        try FileManager.default.createDirectory(atPath: img.path + "/usr/local/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: img.path + "/usr/local/bin/chainsnap", withDestinationPath: installed + "/chainsnap")
        let rpath = try run("readelf", ["-d", installed + "/chainsnap"])
        #expect(rpath.stdout.contains("(RPATH)") && rpath.stdout.contains("[$ORIGIN/lib]"), "\(rpath.stdout)")
        let v = try run(img.path + "/usr/local/bin/chainsnap", ["--version"], environment: ["LD_DEBUG": "libs", "PATH": "/usr/bin:/bin"])
        #expect(v.status == 0 && v.stdout.contains("0."), "\(v.output.suffix(2000))")
        // The loader looked for libcurl in the bundle's lib/ first, through the symlink.
        #expect(v.stderr.contains("find library=libcurl.so.4") && v.stderr.contains("trying file=\(installed)/lib/libcurl.so.4"),
                "\(v.stderr.split(separator: "\n").filter { $0.contains("libcurl") }.prefix(5))")
    }
}
