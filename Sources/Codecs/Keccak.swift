/// A 32-byte digest held as four little-endian 64-bit lanes (the order Keccak produces
/// them), so block hashes are compared and stored without heap allocation.
public struct Hash32: Hashable, Sendable, CustomStringConvertible {
    public var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

    public init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    /// The all-zero hash (the genesis block's parent).
    public static let zero = Hash32(l0: 0, l1: 0, l2: 0, l3: 0)

    /// Reads 32 bytes from `p` (unaligned is fine).
    public init(_ p: UnsafeRawPointer) {
        l0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        l1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        l2 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        l3 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// From 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self = bytes.withUnsafeBytes { Hash32($0.baseAddress!) }
    }

    /// From `0x`-prefixed (or bare) hex of 32 bytes.
    public init?(hex: String) {
        guard let b = Hex.decode(hex) else { return nil }
        self.init(bytes: b)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { o in
            o.storeBytes(of: l0.littleEndian, toByteOffset: 0, as: UInt64.self)
            o.storeBytes(of: l1.littleEndian, toByteOffset: 8, as: UInt64.self)
            o.storeBytes(of: l2.littleEndian, toByteOffset: 16, as: UInt64.self)
            o.storeBytes(of: l3.littleEndian, toByteOffset: 24, as: UInt64.self)
        }
        return out
    }

    /// `0x` + 64 lowercase hex digits, as Ethereum tools print hashes.
    public var hex: String { "0x" + Hex.encode(bytes) }
    public var description: String { hex }
}

/// Keccak-256 as Ethereum uses it (the original Keccak padding `0x01`, not SHA3-256's `0x06`).
///
/// OpenSSL 3.0 has no Keccak-256, so this is a plain Swift implementation tuned for speed:
/// the permutation keeps the 25 lanes in locals with each round unrolled. Incremental use:
/// `update` any number of times, then `finish`.
public struct Keccak256 {
    static let rate = 136
    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer = [UInt8](repeating: 0, count: 136)
    private var buffered = 0

    public init() {}

    /// Hashes one buffer.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Hash32 {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { st in
            let s = st.baseAddress!
            s.initialize(repeating: 0, count: 25)
            var p = bytes.baseAddress ?? UnsafeRawPointer(s)
            var left = bytes.count
            while left >= rate {
                absorb(s, p)
                permute(s)
                p += rate
                left -= rate
            }
            // Last, padded block.
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rate) { tb in
                let t = UnsafeMutableRawPointer(tb.baseAddress!)
                t.initializeMemory(as: UInt8.self, repeating: 0, count: rate)
                if left > 0 { t.copyMemory(from: p, byteCount: left) }
                t.storeBytes(of: 0x01, toByteOffset: left, as: UInt8.self)
                let lastByte = t.load(fromByteOffset: rate - 1, as: UInt8.self)
                t.storeBytes(of: lastByte | 0x80, toByteOffset: rate - 1, as: UInt8.self)
                absorb(s, UnsafeRawPointer(t))
                permute(s)
                return Hash32(l0: s[0], l1: s[1], l2: s[2], l3: s[3])
            }
        }
    }

    public static func hash(_ bytes: [UInt8]) -> Hash32 { bytes.withUnsafeBytes { hash($0) } }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        state.withUnsafeMutableBufferPointer { st in
            let s = st.baseAddress!
            buffer.withUnsafeMutableBytes { bufRaw in
                let buf = bufRaw.baseAddress!
                if buffered > 0 {
                    let n = min(left, Self.rate - buffered)
                    (buf + buffered).copyMemory(from: p, byteCount: n)
                    buffered += n
                    p += n
                    left -= n
                    if buffered == Self.rate {
                        Self.absorb(s, UnsafeRawPointer(buf))
                        Self.permute(s)
                        buffered = 0
                    }
                }
                while left >= Self.rate {
                    Self.absorb(s, p)
                    Self.permute(s)
                    p += Self.rate
                    left -= Self.rate
                }
                if left > 0 {
                    (buf + buffered).copyMemory(from: p, byteCount: left)
                    buffered += left
                }
            }
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest of everything given to `update`. The hasher is reset afterwards.
    public mutating func finish() -> Hash32 {
        for i in buffered..<Self.rate { buffer[i] = 0 }
        buffer[buffered] = 0x01
        buffer[Self.rate - 1] |= 0x80
        let h: Hash32 = state.withUnsafeMutableBufferPointer { st in
            let s = st.baseAddress!
            buffer.withUnsafeBytes { Self.absorb(s, $0.baseAddress!) }
            Self.permute(s)
            return Hash32(l0: s[0], l1: s[1], l2: s[2], l3: s[3])
        }
        self = Keccak256()
        return h
    }

    @inline(__always)
    static func absorb(_ s: UnsafeMutablePointer<UInt64>, _ p: UnsafeRawPointer) {
        for i in 0..<17 {
            s[i] ^= UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        }
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x &<< n) | (x &>> (64 &- n)) }

    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// Keccak-f[1600] on 25 lanes, rounds unrolled into locals so the state lives in registers.
    @inline(__always)
    static func permute(_ s: UnsafeMutablePointer<UInt64>) {
        var a00 = s[0]
        var a10 = s[1]
        var a20 = s[2]
        var a30 = s[3]
        var a40 = s[4]
        var a01 = s[5]
        var a11 = s[6]
        var a21 = s[7]
        var a31 = s[8]
        var a41 = s[9]
        var a02 = s[10]
        var a12 = s[11]
        var a22 = s[12]
        var a32 = s[13]
        var a42 = s[14]
        var a03 = s[15]
        var a13 = s[16]
        var a23 = s[17]
        var a33 = s[18]
        var a43 = s[19]
        var a04 = s[20]
        var a14 = s[21]
        var a24 = s[22]
        var a34 = s[23]
        var a44 = s[24]
        for rc in roundConstants {
            let c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
            let c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
            let c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
            let c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
            let c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
            let d0 = c4 ^ rotl(c1, 1)
            let d1 = c0 ^ rotl(c2, 1)
            let d2 = c1 ^ rotl(c3, 1)
            let d3 = c2 ^ rotl(c4, 1)
            let d4 = c3 ^ rotl(c0, 1)
            let b00 = (a00 ^ d0)
            let b13 = rotl(a01 ^ d0, 36)
            let b21 = rotl(a02 ^ d0, 3)
            let b34 = rotl(a03 ^ d0, 41)
            let b42 = rotl(a04 ^ d0, 18)
            let b02 = rotl(a10 ^ d1, 1)
            let b10 = rotl(a11 ^ d1, 44)
            let b23 = rotl(a12 ^ d1, 10)
            let b31 = rotl(a13 ^ d1, 45)
            let b44 = rotl(a14 ^ d1, 2)
            let b04 = rotl(a20 ^ d2, 62)
            let b12 = rotl(a21 ^ d2, 6)
            let b20 = rotl(a22 ^ d2, 43)
            let b33 = rotl(a23 ^ d2, 15)
            let b41 = rotl(a24 ^ d2, 61)
            let b01 = rotl(a30 ^ d3, 28)
            let b14 = rotl(a31 ^ d3, 55)
            let b22 = rotl(a32 ^ d3, 25)
            let b30 = rotl(a33 ^ d3, 21)
            let b43 = rotl(a34 ^ d3, 56)
            let b03 = rotl(a40 ^ d4, 27)
            let b11 = rotl(a41 ^ d4, 20)
            let b24 = rotl(a42 ^ d4, 39)
            let b32 = rotl(a43 ^ d4, 8)
            let b40 = rotl(a44 ^ d4, 14)
            a00 = b00 ^ (~b10 & b20)
            a10 = b10 ^ (~b20 & b30)
            a20 = b20 ^ (~b30 & b40)
            a30 = b30 ^ (~b40 & b00)
            a40 = b40 ^ (~b00 & b10)
            a01 = b01 ^ (~b11 & b21)
            a11 = b11 ^ (~b21 & b31)
            a21 = b21 ^ (~b31 & b41)
            a31 = b31 ^ (~b41 & b01)
            a41 = b41 ^ (~b01 & b11)
            a02 = b02 ^ (~b12 & b22)
            a12 = b12 ^ (~b22 & b32)
            a22 = b22 ^ (~b32 & b42)
            a32 = b32 ^ (~b42 & b02)
            a42 = b42 ^ (~b02 & b12)
            a03 = b03 ^ (~b13 & b23)
            a13 = b13 ^ (~b23 & b33)
            a23 = b23 ^ (~b33 & b43)
            a33 = b33 ^ (~b43 & b03)
            a43 = b43 ^ (~b03 & b13)
            a04 = b04 ^ (~b14 & b24)
            a14 = b14 ^ (~b24 & b34)
            a24 = b24 ^ (~b34 & b44)
            a34 = b34 ^ (~b44 & b04)
            a44 = b44 ^ (~b04 & b14)
            a00 ^= rc
        }
        s[0] = a00
        s[1] = a10
        s[2] = a20
        s[3] = a30
        s[4] = a40
        s[5] = a01
        s[6] = a11
        s[7] = a21
        s[8] = a31
        s[9] = a41
        s[10] = a02
        s[11] = a12
        s[12] = a22
        s[13] = a32
        s[14] = a42
        s[15] = a03
        s[16] = a13
        s[17] = a23
        s[18] = a33
        s[19] = a43
        s[20] = a04
        s[21] = a14
        s[22] = a24
        s[23] = a34
        s[24] = a44
    }
}
