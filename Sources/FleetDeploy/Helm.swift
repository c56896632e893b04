import Foundation
import SnapshotCore
#if canImport(Glibc)
import Glibc
#endif

/// The `helm` program (Helm 3 or 4), found on PATH or given; chainsnap runs it and reads its output.
public struct Helm: Sendable {
    public let path: String
    /// Flags for every call: `--kubeconfig`, `--kube-context`.
    public var globalArgs: [String]

    /// What to tell someone without helm.
    public static let installHint = "install Helm 3 or 4 (https://helm.sh/docs/intro/install/ — a release binary, or the distro's package: `apt-get install helm` from Helm's apt repository, `brew install helm`, `dnf install helm`), or pass --helm PATH"

    public init(path: String, globalArgs: [String] = []) {
        self.path = path
        self.globalArgs = globalArgs
    }

    /// `explicit`, else `helm` on PATH. Nil when there is none.
    public static func find(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/helm"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// The helm to run, or an error saying how to get one.
    public static func locate(explicit: String?, globalArgs: [String]) throws -> Helm {
        guard let p = find(explicit: explicit) else {
            throw ChainsnapError(.notFound, explicit.map { "\($0) is not an executable file" } ?? "helm is not on PATH",
                                 object: explicit ?? "helm", hint: installHint)
        }
        return Helm(path: p, globalArgs: globalArgs)
    }

    /// The helm a command uses, talking to the cluster of `kubeconfig`/`context`: required (an
    /// error saying how to get helm when there is none), or not (nil: a dry run goes on without it).
    public static func forCommand(explicit: String?, kubeconfig: String?, context: String?, required: Bool) throws -> Helm? {
        let global = (kubeconfig.map { ["--kubeconfig", $0] } ?? []) + (context.map { ["--kube-context", $0] } ?? [])
        if required { return try locate(explicit: explicit, globalArgs: global) }
        return find(explicit: explicit).map { Helm(path: $0, globalArgs: global) }
    }

    /// The result of one helm run.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
        /// helm's error line(s) (`Error: …`), else the end of its stderr.
        public var errorText: String {
            let lines = stderr.split(separator: "\n").map(String.init)
            let errs = lines.filter { $0.hasPrefix("Error:") }
            let text = (errs.isEmpty ? Array(lines.suffix(5)) : errs).joined(separator: "\n")
            return text.isEmpty ? "exit status \(status)" : text
        }
    }

    /// Runs `helm ARGS` (after the global flags), capturing its output.
    public func run(_ args: [String]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args + globalArgs
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw ChainsnapError(.io, "could not start \(path)", object: path, hint: Self.installHint, underlying: error)
        }
        let errData = PipeReader(err.fileHandleForReading)
        let outData = readToEnd(out.fileHandleForReading.fileDescriptor)
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }

    /// helm's version (`v3.16.2+g…`); refuses a helm older than 3.
    public func checkVersion() throws -> String {
        let r = try run(["version", "--short"])
        let v = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let major = v.dropFirst(v.hasPrefix("v") ? 1 : 0).split(separator: ".").first.flatMap { Int($0) }
        guard r.status == 0, let major else {
            throw ChainsnapError(.io, "`\(path) version --short` failed: \(r.errorText)", object: path, hint: Self.installHint)
        }
        guard major >= 3 else {
            throw ChainsnapError(.unsupportedFormat, "\(path) is Helm \(v); Helm 3 or 4 is needed", object: path, hint: Self.installHint)
        }
        return v
    }

    /// The release's computed values (`helm get values --all -o json`), or helm's error text.
    public func currentValues(release: String, namespace: String) -> (values: FleetValue?, error: String?) {
        do {
            let r = try run(["get", "values", release, "-n", namespace, "--all", "-o", "json"])
            guard r.status == 0 else { return (nil, r.errorText) }
            let docs = try YAMLReading.documents(r.stdout, source: "helm get values \(release)")
            return (docs.first ?? .emptyMap, nil)
        } catch {
            return (nil, "\(error)")
        }
    }
}

/// Reads a pipe to its end on its own thread (so a chatty child cannot block on a full pipe).
final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    private let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let t = Thread { [self] in
            let d = readToEnd(handle.fileDescriptor)
            lock.withLock {
                data = d
                done = true
            }
            finished.signal()
        }
        t.start()
    }

    func wait() -> Data {
        finished.wait()
        return lock.withLock { data }
    }
}

/// Reads a descriptor to its end, retrying interrupted reads (Foundation's
/// readDataToEndOfFile traps on EINTR).
func readToEnd(_ fd: Int32) -> Data {
    var out = Data()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            out.append(contentsOf: buf[0..<n])
        } else if n == 0 || errno != EINTR {
            return out
        }
    }
}

/// A command line as a person would paste it into a shell.
public func shellQuoted(_ args: [String]) -> String {
    args.map { a in
        let safe = !a.isEmpty && a.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./=:,@%+".unicodeScalars.contains($0)
        }
        return safe ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}
