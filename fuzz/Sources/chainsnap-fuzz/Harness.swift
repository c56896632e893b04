// libFuzzer harnesses for every parser of untrusted bytes (issue 10). One binary, the target
// chosen by CHAINSNAP_FUZZ_TARGET; built and run by scripts/fuzz.sh (see fuzz/README.md).
//
// A harness traps (fatalError) when an invariant breaks, so libFuzzer records the input; a thrown
// ChainsnapError is the expected answer to garbage and is ignored.
import Foundation
@testable import Codecs
@testable import SnapshotCore
@testable import Stores
@testable import Snapshots
@testable import Archives
import LocalFS
import RestoreCore
@testable import ChainData
@testable import Transfer

let target = ProcessInfo.processInfo.environment["CHAINSNAP_FUZZ_TARGET"] ?? ""

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    switch target {
    case "rlp": FuzzRLP.run(input)
    case "manifest": FuzzManifest.run(input)
    case "bundle": FuzzBundle.run(input)
    case "tar": FuzzTar.run(input)
    case "s3xml": FuzzS3XML.run(input)
    case "codecs": FuzzCodecs.run(input)
    default: fatalError("set CHAINSNAP_FUZZ_TARGET to rlp, manifest, bundle, tar, s3xml or codecs")
    }
    return 0
}

/// RLP block scanner and value codec: results must not depend on how the stream is cut, and a
/// value that decodes must re-encode to exactly its input (the decoder accepts canonical RLP only).
enum FuzzRLP {
    static func scan(_ input: UnsafeRawBufferPointer, cut: Int) -> (infos: [BlockInfo], error: Bool) {
        let s = RLPBlockScanner(maxBlockSize: 1 << 20)
        var infos: [BlockInfo] = []
        do {
            if cut > 0 && cut < input.count {
                try s.feed(UnsafeRawBufferPointer(rebasing: input[0..<cut])) { i, _ in infos.append(i) }
                try s.feed(UnsafeRawBufferPointer(rebasing: input[cut...])) { i, _ in infos.append(i) }
            } else {
                try s.feed(input) { i, _ in infos.append(i) }
            }
            try s.finish()
            return (infos, false)
        } catch { return (infos, true) }
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        let whole = scan(input, cut: 0)
        let cut = input.isEmpty ? 0 : Int(input[0]) % max(1, input.count)
        let split = scan(input, cut: cut)
        guard whole.infos == split.infos, whole.error == split.error else {
            fatalError("RLP scanner results depend on the feed boundary (cut at \(cut))")
        }
        let bytes = Array(input)
        if let v = try? RLPValue.decode(bytes) {
            guard v.encoded() == bytes else { fatalError("RLPValue.decode accepted a non-canonical encoding") }
        }
    }
}

/// The snapshot manifest reader and validator, fed JSON (compression is fuzzed in `codecs`).
enum FuzzManifest {
    static func run(_ input: UnsafeRawBufferPointer) {
        // The block reader must not depend on where blocks end, nor disagree with Foundation's
        // decoder (which read every version-1 manifest before it) when both accept the text.
        let whole = try? ManifestReader.read(next: WholeOnce(Array(input)).next)
        let cut = input.isEmpty ? 0 : Int(input[0]) % input.count
        var pieces = [Array(input[..<cut]), Array(input[cut...])][...]
        let split = try? ManifestReader.read(next: { pieces.popFirst() })
        guard whole == split else { fatalError("ManifestReader's result depends on the block boundary at \(cut)") }
        if let whole, let foundation = try? JSONDecoder().decode(Manifest.self, from: Data(input)), whole != foundation {
            fatalError("ManifestReader and JSONDecoder read the same text differently")
        }
        guard let m = try? SnapshotLayout.decodeJSON(Array(input), id: "20260101T000000Z-00000000") else { return }
        do {
            try ManifestValidator.validate(m)
        } catch { return }
        // A manifest that validates keeps every path relative and inside, and its sizes add up.
        for e in m.entries {
            guard !e.path.hasPrefix("/"), !e.path.split(separator: "/").contains(".."), !ReservedNames.all.contains(e.path) else {
                fatalError("the validator accepted path '\(e.path)'")
            }
        }
    }
}

/// Yields one block, then the end.
final class WholeOnce {
    var bytes: [UInt8]?
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func next() -> [UInt8]? { defer { bytes = nil }; return bytes }
}

/// The bundle manifest, the signature object, PEM public keys and base64.
enum FuzzBundle {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        if let m = try? BundleManifest.decode(bytes, source: "fuzz") { _ = try? m.verifyLinks(); _ = m.blockCount }
        _ = try? SignatureDocument.decode(bytes, source: "fuzz")
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? Ed25519PublicKey.parsePEM(text, source: "fuzz")
        _ = try? Ed25519PrivateKey(pem: text, source: "fuzz")
        if let d = Base64.decode(text) {
            guard Base64.encode(d) == text else { fatalError("base64 accepted a non-canonical encoding") }
        }
        _ = PartCut(text: text)
    }
}

/// Tar header parsing and extraction into a scratch folder: nothing may appear outside the root.
enum FuzzTar {
    static let scratch: String = {
        let p = NSTemporaryDirectory() + "/chainsnap-fuzz-tar-\(getpid())"
        try? FileManager.default.removeItem(atPath: p)
        try! FileManager.default.createDirectory(atPath: p + "/outer/inner", withIntermediateDirectories: true)
        return p
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        if input.count >= 512 {
            _ = try? TarHeader(block: UnsafeRawBufferPointer(rebasing: input[0..<512]), offset: 0)
        }
        _ = try? PaxValues.parse(Array(input), offset: 0)
        let root = scratch + "/outer/inner/root"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let x = TarExtractor(root: root, options: TarExtractor.Options(preserveOwnership: false, reservedTopLevelNames: ReservedNames.all))
        // Feed in two pieces, cut where the first byte says, like ranges arriving.
        let cut = input.isEmpty ? 0 : Int(input[0]) * 7 % max(1, input.count)
        do {
            try x.feed(UnsafeRawBufferPointer(rebasing: input[0..<cut]))
            try x.feed(UnsafeRawBufferPointer(rebasing: input[cut...]))
            try x.finish()
        } catch {}
        let inner = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/outer/inner")) ?? []
        let outer = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/outer")) ?? []
        guard inner == ["root"], outer == ["inner"] else {
            fatalError("the extraction wrote outside its root: \(inner) \(outer)")
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// The S3 XML answers (listings, multipart uploads, errors).
enum FuzzS3XML {
    static func run(_ input: UnsafeRawBufferPointer) {
        let text = Substring(String(decoding: input, as: UTF8.self))
        for c in S3XML.blocks("Contents", in: text) {
            _ = S3XML.value("Key", in: c)
            _ = S3XML.value("Size", in: c).flatMap { Int64($0) }
            _ = S3XML.value("LastModified", in: c).flatMap(HTTPDate.parse)
        }
        _ = S3XML.value("UploadId", in: text)
        _ = S3XML.value("NextContinuationToken", in: text)
        let u = S3XML.unescape(String(text))
        guard S3XML.unescape(S3XML.escape(u)) == u else { fatalError("S3XML escape/unescape do not round-trip") }
        _ = HTTPFailure.serviceError(in: Array(input))
    }
}

/// zstd, lz4 and gzip frame readers: whole-buffer (bounded) and streaming.
enum FuzzCodecs {
    static let limit = 1 << 20

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let first = input.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: input[1...])
        let cut = body.isEmpty ? 0 : Int(first) * 13 % body.count
        switch first % 6 {
        case 0:
            if let out = try? BoundedDecode.zstd(body, limit: limit, what: "fuzz"), out.count > limit { fatalError("zstd output past its limit") }
        case 1:
            let d = ZstdStreamDecompressor(windowLogMax: 20)
            stream(body, cut: cut, feed: d.feed, finish: d.finish)
        case 2:
            if let out = try? BoundedDecode.lz4(body, limit: limit, what: "fuzz"), out.count > limit { fatalError("lz4 output past its limit") }
        case 3:
            let d = LZ4Decompressor()
            stream(body, cut: cut, feed: d.feed, finish: d.finish)
        case 4:
            if let out = try? BoundedDecode.gzip(body, limit: limit, what: "fuzz"), out.count > limit { fatalError("gzip output past its limit") }
            let d = GzipStreamDecompressor()
            stream(body, cut: cut, feed: d.feed, finish: d.finish)
        default:
            // The chunk path: a size from the manifest (here the first bytes), the frame after.
            let ctx = ChunkCodecContext()
            let size = Int(first) << 8
            var out = [UInt8](repeating: 0, count: size)
            for codec in ["zstd", "lz4"] {
                _ = try? out.withUnsafeMutableBytes { try ctx.decompress(body, codec: codec, expectedSize: size, into: $0) }
            }
        }
    }

    static func stream(_ body: UnsafeRawBufferPointer, cut: Int,
                       feed: (UnsafeRawBufferPointer, (UnsafeRawBufferPointer) throws -> Void) throws -> Void, finish: () throws -> Void) {
        var total = 0
        let sink: (UnsafeRawBufferPointer) throws -> Void = { piece in
            total += piece.count
            if total > 64 << 20 { throw ChainsnapError(.corrupt, "enough") }
        }
        do {
            try feed(UnsafeRawBufferPointer(rebasing: body[0..<cut]), sink)
            try feed(UnsafeRawBufferPointer(rebasing: body[cut...]), sink)
            try finish()
        } catch {}
    }
}

/// SwiftPM links an executable target's entry point as `<module>_main` (`--defsym main=…`), which
/// displaces libFuzzer's own `main`; this entry hands control to libFuzzer's driver instead.
@_cdecl("chainsnap_fuzz_main")
public func chainsnapFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    typealias Driver = @convention(c) (UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>, Callback) -> CInt
    guard let sym = dlsym(nil, "LLVMFuzzerRunDriver") else {  // RTLD_DEFAULT
        fatalError("LLVMFuzzerRunDriver not found: build with -sanitize=fuzzer")
    }
    var c = argc
    var v = argv
    return unsafeBitCast(sym, to: Driver.self)(&c, &v, fuzzOne)
}
