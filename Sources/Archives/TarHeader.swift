import SnapshotCore

/// The kinds of tar entry the extractor understands.
enum TarEntryType: Equatable {
    case file, hardLink, symlink, directory
    case characterDevice, blockDevice, fifo
    case gnuLongName, gnuLongLink, paxExtended, paxGlobal
    case gnuVolumeLabel, gnuSparse, gnuMultiVolume
    /// GNU incremental `D`: a folder whose data is a list of names (read as a folder, data skipped).
    case gnuDumpDir
    /// Solaris ACL (`A`): access-control entries for the file of the same name that follows.
    case solarisACL
    case unknown(UInt8)

    init(flag: UInt8) {
        switch flag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): self = .file
        case UInt8(ascii: "1"): self = .hardLink
        case UInt8(ascii: "2"): self = .symlink
        case UInt8(ascii: "3"): self = .characterDevice
        case UInt8(ascii: "4"): self = .blockDevice
        case UInt8(ascii: "5"): self = .directory
        case UInt8(ascii: "D"): self = .gnuDumpDir
        case UInt8(ascii: "A"): self = .solarisACL
        case UInt8(ascii: "6"): self = .fifo
        case UInt8(ascii: "L"): self = .gnuLongName
        case UInt8(ascii: "K"): self = .gnuLongLink
        case UInt8(ascii: "x"), UInt8(ascii: "X"): self = .paxExtended
        case UInt8(ascii: "g"): self = .paxGlobal
        case UInt8(ascii: "V"): self = .gnuVolumeLabel
        case UInt8(ascii: "S"): self = .gnuSparse
        case UInt8(ascii: "M"): self = .gnuMultiVolume
        default: self = .unknown(flag)
        }
    }

    /// Whether entries of this type are followed by `size` bytes of data. POSIX stores no data
    /// for links, folders, devices and FIFOs, and GNU tar reads none whatever their size field
    /// says (old tars wrote the linked file's size into hard links, and a size into V7 folders).
    var hasData: Bool {
        switch self {
        case .hardLink, .symlink, .directory, .characterDevice, .blockDevice, .fifo: return false
        default: return true
        }
    }
}

/// One parsed 512-byte tar header (ustar, GNU or pax-style; extensions applied by the extractor).
/// Names are the archive's bytes: Linux names are bytes, and archives hold names in any encoding.
struct TarHeader {
    var name: [UInt8]
    var linkName: [UInt8]
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    /// Nanoseconds of the mtime (pax headers carry them; ustar/GNU headers do not).
    var mtimeNanos = 0
    var type: TarEntryType
    var typeFlag: UInt8

    static let blockSize = 512

    /// Whether a 512-byte block is all zeros (the end-of-archive marker).
    static func isZeroBlock(_ b: UnsafeRawBufferPointer) -> Bool {
        // Compare 8 bytes at a time: headers are parsed once per entry, but keep it cheap.
        let words = UnsafeRawBufferPointer(start: b.baseAddress, count: blockSize)
        var acc: UInt64 = 0
        var i = 0
        while i < blockSize {
            acc |= words.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        return acc == 0
    }

    /// Parses a header block. `offset` is the header's position in the tar stream (for errors).
    init(block b: UnsafeRawBufferPointer, offset: Int64) throws {
        precondition(b.count >= TarHeader.blockSize)
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.corrupt, "tar header at byte \(offset) is invalid: \(why)", object: "tar offset \(offset)",
                           hint: "the archive is corrupt or not a tar archive; download it again or check its source")
        }
        // Checksum: the sum of all bytes with the checksum field read as spaces.
        guard let stored = TarHeader.number(b, 148, 8) else { throw bad("unreadable checksum field") }
        var unsignedSum: Int64 = 0
        var signedSum: Int64 = 0
        for i in 0..<TarHeader.blockSize {
            let v: UInt8 = (i >= 148 && i < 156) ? 0x20 : b[i]
            unsignedSum += Int64(v)
            signedSum += Int64(Int8(bitPattern: v))
        }
        guard stored == unsignedSum || stored == signedSum else {
            throw bad("checksum mismatch (stored \(stored), computed \(unsignedSum))")
        }
        typeFlag = b[156]
        type = TarEntryType(flag: typeFlag)
        var n = TarHeader.bytes(b, 0, 100)
        // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  ") keeps atime there.
        let isPOSIX = b[257] == UInt8(ascii: "u") && b[258] == UInt8(ascii: "s") && b[259] == UInt8(ascii: "t")
            && b[260] == UInt8(ascii: "a") && b[261] == UInt8(ascii: "r") && b[262] == 0
        if isPOSIX {
            let prefix = TarHeader.bytes(b, 345, 155)
            if !prefix.isEmpty { n = prefix + [UInt8(ascii: "/")] + n }
        }
        name = n
        linkName = TarHeader.bytes(b, 157, 100)
        guard let m = TarHeader.number(b, 100, 8) else { throw bad("unreadable mode") }
        guard let s = TarHeader.number(b, 124, 12), s >= 0 else { throw bad("unreadable size") }
        guard let t = TarHeader.number(b, 136, 12) else { throw bad("unreadable mtime") }
        mode = UInt32(truncatingIfNeeded: m)
        size = s
        mtime = t
        uid = Int(TarHeader.number(b, 108, 8) ?? 0)
        gid = Int(TarHeader.number(b, 116, 8) ?? 0)
    }

    /// A NUL-terminated name field, as bytes.
    static func bytes(_ b: UnsafeRawBufferPointer, _ at: Int, _ len: Int) -> [UInt8] {
        var end = at
        while end < at + len && b[end] != 0 { end += 1 }
        return Array(UnsafeRawBufferPointer(rebasing: b[at..<end]))
    }

    /// A numeric field, read as GNU tar reads it: one leading NUL (written by old tars whose
    /// previous field overflowed) and leading blanks are skipped, then octal digits end at a NUL,
    /// a blank or the field's end — so a field of NULs is 0 whatever follows them. A first byte
    /// of 0x80 or 0xff starts a base-256 number (GNU, star, Go). Anything else is nil (invalid).
    static func number(_ b: UnsafeRawBufferPointer, _ at: Int, _ len: Int) -> Int64? {
        let first = b[at]
        if first == 0x80 || first == 0xff {
            // Base-256, two's complement; 0xff as first byte means negative.
            let negative = first & 0x40 != 0
            var v: Int64 = negative ? -1 : 0
            for i in at..<(at + len) {
                let byte = i == at ? (negative ? first | 0x80 : first & 0x7f) : b[i]
                if !negative && v > (Int64.max >> 8) { return nil }
                v = (v << 8) | Int64(byte)
            }
            return v
        }
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0d) }
        var v: Int64 = 0
        var i = at
        let end = at + len
        if i < end && b[i] == 0 { i += 1 }
        while i < end && isBlank(b[i]) { i += 1 }
        while i < end, b[i] >= 0x30 && b[i] <= 0x37 {
            if v > (Int64.max >> 3) { return nil }
            v = v << 3 | Int64(b[i] - 0x30)
            i += 1
        }
        guard i == end || b[i] == 0 || isBlank(b[i]) else { return nil }
        return v
    }
}

/// Values from pax extended headers (`x` for the next entry, `g` for all following ones).
struct PaxValues {
    /// `path` and `linkpath` as the record's bytes (UTF-8 by the standard, raw bytes with
    /// `hdrcharset=BINARY`, which GNU tar and Python write for names that are not UTF-8).
    var path: [UInt8]?
    var linkPath: [UInt8]?
    var size: Int64?
    var mtime: Int64?
    var mtimeNanos = 0
    var uid: Int?
    var gid: Int?
    var sparse = false

    var isEmpty: Bool { path == nil && linkPath == nil && size == nil && mtime == nil && uid == nil && gid == nil && !sparse }

    /// Overlays `other`'s values onto these.
    mutating func merge(_ other: PaxValues) {
        if let v = other.path { path = v }
        if let v = other.linkPath { linkPath = v }
        if let v = other.size { size = v }
        if let v = other.mtime { mtime = v; mtimeNanos = other.mtimeNanos }
        if let v = other.uid { uid = v }
        if let v = other.gid { gid = v }
        if other.sparse { sparse = true }
    }

    /// Parses pax records: `"%d %s=%s\n"`, the length counting the whole record.
    static func parse(_ data: [UInt8], offset: Int64) throws -> PaxValues {
        func bad(_ why: String) -> ChainsnapError {
            ChainsnapError(.corrupt, "pax header at byte \(offset) is invalid: \(why)", object: "tar offset \(offset)",
                           hint: "the archive is corrupt; download it again or check its source")
        }
        var out = PaxValues()
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }  // trailing NUL padding
            var len = 0
            var j = i
            while j < data.count, data[j] >= 0x30, data[j] <= 0x39 {
                len = len * 10 + Int(data[j] - 0x30)
                if len > data.count { throw bad("record length too large") }
                j += 1
            }
            guard j < data.count, data[j] == 0x20, len > 0, i + len <= data.count, data[i + len - 1] == 0x0A else {
                throw bad("malformed record")
            }
            let record = data[(j + 1)..<(i + len - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { throw bad("record without '='") }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            let raw = Array(record[(eq + 1)...])
            let value = String(decoding: raw, as: UTF8.self)
            switch key {
            case "path": out.path = raw
            case "linkpath": out.linkPath = raw
            case "size":
                guard let v = Int64(value), v >= 0 else { throw bad("size '\(PathRules.display(raw))'") }
                out.size = v
            case "mtime":
                // Seconds with an optional fraction (GNU tar writes nanoseconds).
                let parts = value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                guard let v = Int64(parts[0]) else { throw bad("mtime '\(PathRules.display(raw))'") }
                out.mtime = v
                out.mtimeNanos = 0
                if parts.count == 2, !value.hasPrefix("-") {
                    let digits = String(parts[1].prefix(9))
                    guard let f = Int(digits), digits.allSatisfy(\.isASCII) else { throw bad("mtime '\(PathRules.display(raw))'") }
                    var ns = f
                    for _ in digits.count..<9 { ns *= 10 }
                    out.mtimeNanos = ns
                }
            case "uid": out.uid = Int(value)
            case "gid": out.gid = Int(value)
            default:
                if key.hasPrefix("GNU.sparse.") { out.sparse = true }
            }
            i += len
        }
        return out
    }
}
