/// Writes a manifest's JSON (docs/FORMAT.md, "Manifest") in blocks of about 64 KiB to a sink,
/// so a million-file manifest is never held as text, nor as the value tree `JSONEncoder` builds
/// first. The text is what `JSONEncoder` with `.sortedKeys` writes (keys sorted, absent optionals
/// omitted, an extent's zero offset omitted), except that `/` is not escaped.
public enum ManifestWriter {
    public static func write(_ m: Manifest, to sink: ([UInt8]) throws -> Void) throws {
        var w = Out()
        w.raw("{\"chunkSize\":"); w.int(m.chunkSize)
        w.raw(",\"chunks\":[")
        for (i, c) in m.chunks.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"codec\":"); w.string(c.codec)
            w.raw(",\"id\":"); w.string(c.id)
            w.raw(",\"size\":"); w.int(c.size)
            w.raw(",\"stored\":"); w.int(c.stored)
            w.raw("}")
            try w.flushIfFull(sink)
        }
        w.raw("],\"compression\":"); w.string(m.compression)
        w.raw(",\"createdAt\":"); w.string(m.createdAt)
        w.raw(",\"entries\":[")
        // By field, not by `Entry`: no path `String` or extents array is built per entry.
        let es = m.entries
        for i in es.indices {
            if i > 0 { w.raw(",") }
            w.raw("{")
            if es.extentCount(at: i) != nil {
                w.raw("\"extents\":[")
                var j = 0
                es.forEachExtent(at: i) { x in
                    if j > 0 { w.raw(",") }
                    j += 1
                    w.raw("{")
                    if let c = x.chunk { w.raw("\"c\":"); w.string(c); w.raw(",") }
                    w.raw("\"l\":"); w.int(x.length)
                    if x.offset != 0 { w.raw(",\"o\":"); w.int(x.offset) }
                    w.raw("}")
                }
                w.raw("],")
            }
            w.raw("\"mode\":"); w.int(Int64(es.mode(at: i)))
            w.raw(",\"mtimeNs\":"); w.int(es.mtimeNs(at: i))
            w.raw(",\"path\":"); es.withPathBytes(at: i) { w.string(bytes: $0) }
            w.raw(",\"size\":"); w.int(es.size(at: i))
            if let t = es.target(at: i) { w.raw(",\"target\":"); w.string(t) }
            w.raw(",\"type\":"); w.string(es.kind(at: i).rawValue)
            w.raw("}")
            try w.flushIfFull(sink)
        }
        w.raw("],\"format\":"); w.string(m.format)
        w.raw(",\"id\":"); w.string(m.id)
        if let s = m.signing {
            w.raw(",\"signing\":{\"algorithm\":"); w.string(s.algorithm)
            w.raw(",\"keyId\":"); w.string(s.keyId); w.raw("}")
        }
        w.raw(",\"source\":{")
        var first = true
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            if !first { w.raw(",") }
            first = false
            w.string(name); w.raw(":"); w.string(value)
        }
        let s = m.source
        field("blockHash", s.blockHash)
        field("chainId", s.chainId)
        if let h = s.height {
            if !first { w.raw(",") }
            first = false
            w.raw("\"height\":"); w.raw(String(h))
        }
        field("host", s.host)
        if !first { w.raw(",") }
        first = false
        w.raw("\"labels\":{")
        for (i, (k, v)) in s.labels.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(k); w.raw(":"); w.string(v)
        }
        w.raw("}")
        field("network", s.network)
        field("nodeVersion", s.nodeVersion)
        field("path", s.path)
        w.raw("},\"tool\":"); w.string(m.tool)
        let t = m.totals
        w.raw(",\"totals\":{\"bytes\":"); w.int(t.bytes)
        w.raw(",\"dirs\":"); w.int(Int64(t.dirs))
        w.raw(",\"files\":"); w.int(Int64(t.files))
        w.raw(",\"newBytes\":"); w.int(t.newBytes)
        w.raw(",\"storedBytes\":"); w.int(t.storedBytes)
        w.raw(",\"symlinks\":"); w.int(Int64(t.symlinks))
        w.raw("},\"version\":"); w.int(Int64(m.version))
        w.raw("}")
        try w.flush(sink)
    }

    /// The text of one manifest, whole (tests and small manifests).
    public static func text(_ m: Manifest) throws -> [UInt8] {
        var out: [UInt8] = []
        try write(m) { out += $0 }
        return out
    }

    struct Out {
        var buf: [UInt8] = []

        init() { buf.reserveCapacity(Self.blockSize + 4096) }

        static let blockSize = 64 << 10

        mutating func raw(_ s: String) { buf.append(contentsOf: s.utf8) }

        /// A decimal integer, written in place (no `String` per number).
        mutating func int(_ v: Int64) {
            if v < 0 { buf.append(UInt8(ascii: "-")) }
            var m = v.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 20 digits, least significant first
            var n = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat {
                    d[n] = UInt8(ascii: "0") + UInt8(m % 10)
                    m /= 10
                    n += 1
                } while m > 0
                for k in stride(from: n - 1, through: 0, by: -1) { buf.append(d[k]) }
            }
        }

        /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`.
        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { string(bytes: $0) }
        }

        /// The same for UTF-8 bytes; runs that need no escape are copied whole.
        mutating func string(bytes: UnsafeBufferPointer<UInt8>) {
            buf.append(0x22)
            var start = 0
            for (k, c) in bytes.enumerated() where c == 0x22 || c == 0x5C || c < 0x20 {
                buf.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<k]))
                start = k + 1
                switch c {
                case 0x22: buf.append(0x5C); buf.append(0x22)
                case 0x5C: buf.append(0x5C); buf.append(0x5C)
                case 0x0A: buf.append(0x5C); buf.append(UInt8(ascii: "n"))
                case 0x09: buf.append(0x5C); buf.append(UInt8(ascii: "t"))
                case 0x0D: buf.append(0x5C); buf.append(UInt8(ascii: "r"))
                case 0x08: buf.append(0x5C); buf.append(UInt8(ascii: "b"))
                case 0x0C: buf.append(0x5C); buf.append(UInt8(ascii: "f"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buf.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 15)]])
                }
            }
            buf.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
            buf.append(0x22)
        }

        mutating func flushIfFull(_ sink: ([UInt8]) throws -> Void) throws { if buf.count >= Self.blockSize { try flush(sink) } }

        mutating func flush(_ sink: ([UInt8]) throws -> Void) throws {
            guard !buf.isEmpty else { return }
            try sink(buf)
            buf.removeAll(keepingCapacity: true)
        }
    }
}
