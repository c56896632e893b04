/// A pull reader of JSON text arriving in blocks (decompressed a piece at a time), for
/// documents too large to hold whole or to parse into a tree first.
///
/// It holds one block and one bounded scratch string, never the document: a string longer
/// than `maxString` bytes, nesting deeper than `maxDepth` or a number longer than 40
/// characters is refused, so hostile input allocates nothing it declares.
public struct JSONPull {
    /// Why the text could not be read, with the byte offset where it went wrong.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    public static let maxString = 1 << 20
    public static let maxDepth = 64

    private var block: [UInt8] = []
    private var pos = 0
    /// Bytes of blocks already consumed before `block`.
    private var base = 0
    private let next: () throws -> [UInt8]?
    private var ended = false

    /// - Parameter next: the next block of text, nil at its end (empty blocks are skipped).
    public init(next: @escaping () throws -> [UInt8]?) { self.next = next }

    /// The offset of the next unread byte in the whole text.
    public var offset: Int { base + pos }

    /// The next byte without consuming it; nil at the end of the text.
    @inline(__always) mutating func peek() throws -> UInt8? {
        if pos < block.count { return block[pos] }
        return try refill() ? block[pos] : nil
    }

    private mutating func refill() throws -> Bool {
        while !ended {
            base += block.count
            pos = 0
            guard let b = try next() else { ended = true; block = []; return false }
            block = b
            if !block.isEmpty { return true }
        }
        return false
    }

    @inline(__always) mutating func take() throws -> UInt8 {
        guard let c = try peek() else { throw fail("the text ends too early") }
        pos += 1
        return c
    }

    func fail(_ what: String) -> Failure { Failure("\(what) at byte \(offset)") }

    /// Skips whitespace; returns the next byte (unconsumed), nil at the end.
    mutating func nonSpace() throws -> UInt8? {
        while let c = try peek() {
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return c }
            pos += 1
        }
        return nil
    }

    mutating func expect(_ c: UInt8) throws {
        guard try nonSpace() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        pos += 1
    }

    /// Consumes `null` if it comes next.
    public mutating func readNull() throws -> Bool {
        guard try nonSpace() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for b in bytes { guard try take() == b else { throw fail("expected '\(word)'") } }
    }

    // MARK: objects and arrays

    /// Starts an object; then call `nextKey` until it returns nil.
    public mutating func beginObject() throws { try expect(UInt8(ascii: "{")); first = true }
    /// Starts an array; then call `nextElement` until it returns false.
    public mutating func beginArray() throws { try expect(UInt8(ascii: "[")); first = true }

    private var first = true

    /// The next key of the current object (its value is read next), nil after the closing brace.
    public mutating func nextKey(into key: inout [UInt8]) throws -> Bool {
        guard let c = try nonSpace() else { throw fail("the text ends inside an object") }
        if c == UInt8(ascii: "}") { pos += 1; first = false; return false }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            pos += 1
        }
        first = false
        try readString(into: &key, limit: 256)
        try expect(UInt8(ascii: ":"))
        return true
    }

    /// Whether another element of the current array follows (false after the closing bracket).
    public mutating func nextElement() throws -> Bool {
        guard let c = try nonSpace() else { throw fail("the text ends inside an array") }
        if c == UInt8(ascii: "]") { pos += 1; first = false; return false }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
            pos += 1
        }
        first = false
        return true
    }

    /// Checks that nothing but whitespace follows the document.
    public mutating func end() throws {
        guard try nonSpace() == nil else { throw fail("unexpected text after the document") }
    }

    // MARK: values

    /// Reads a string's UTF-8 bytes (escapes decoded) into `out`; at most `limit` bytes.
    public mutating func readString(into out: inout [UInt8], limit: Int = maxString) throws {
        guard try nonSpace() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        pos += 1
        out.removeAll(keepingCapacity: true)
        while true {
            // Fast path: copy the run of plain bytes within this block.
            var i = pos
            while i < block.count, block[i] != 0x22, block[i] != 0x5C, block[i] >= 0x20 { i += 1 }
            if i > pos {
                guard out.count + (i - pos) <= limit else { throw fail("a string longer than \(limit) bytes") }
                out.append(contentsOf: block[pos..<i])
                pos = i
            }
            let c = try take()
            switch c {
            case 0x22: return
            case 0x5C: try escape(into: &out)
            case ..<0x20: pos -= 1; throw fail("a control character inside a string")
            default: out.append(c)
            }
            guard out.count <= limit else { throw fail("a string longer than \(limit) bytes") }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws {
        let c = try take()
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var v = try hex4()
            if (0xD800..<0xDC00).contains(v) {
                // A high surrogate must be followed by an escaped low one.
                guard try take() == UInt8(ascii: "\\"), try take() == UInt8(ascii: "u") else { throw fail("an unpaired surrogate") }
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("an unpaired surrogate") }
                v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(v) {
                throw fail("an unpaired surrogate")
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(v)!)).utf8)
        default:
            throw fail("an invalid escape")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = try take()
            guard let d = Self.hexValue(c) else { throw fail("an invalid \\u escape") }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Reads a string value that must be valid UTF-8.
    public mutating func readString(_ scratch: inout [UInt8]) throws -> String {
        try readString(into: &scratch)
        guard let s = String(validating: scratch, as: UTF8.self) else { throw fail("a string that is not UTF-8") }
        return s
    }

    /// Reads a number's text (at most 40 characters); the caller converts it.
    public mutating func readNumberText() throws -> String {
        guard let c = try nonSpace(), c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else {
            throw fail("expected a number")
        }
        var text: [UInt8] = []
        while let c = try peek(), c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
            guard text.count < 40 else { throw fail("a number longer than 40 characters") }
            text.append(c)
            pos += 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Skips one value of any kind, nested at most `maxDepth` deep.
    public mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw fail("values nested more than \(Self.maxDepth) deep") }
        var scratch: [UInt8] = []
        switch try nonSpace() {
        case UInt8(ascii: "{")?:
            try beginObject()
            while try nextKey(into: &scratch) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "[")?:
            try beginArray()
            while try nextElement() { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\"")?: try readString(into: &scratch)
        case UInt8(ascii: "t")?: try literal("true")
        case UInt8(ascii: "f")?: try literal("false")
        case UInt8(ascii: "n")?: try literal("null")
        case nil: throw fail("the text ends too early")
        default: _ = try readNumberText()
        }
    }
}
