import Testing
@testable import Codecs
import SnapshotCore

/// Ed25519 through OpenSSL against RFC 8032's published vectors, and the key formats.
@Suite struct Ed25519Tests {
    /// RFC 8032 §7.1, TEST 1 (empty message); its secret key in PKCS#8 PEM.
    static let rfcKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----
        """
    static let rfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    static let rfcSigEmpty = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

    @Test func signsAndVerifiesLikeRFC8032() throws {
        let k = try Ed25519PrivateKey(pem: Self.rfcKeyPEM, source: "test")
        #expect(Hex.encode(k.publicKey.raw) == Self.rfcPublic)
        let sig = try k.sign([UInt8]())
        #expect(Hex.encode(sig) == Self.rfcSigEmpty)
        #expect(k.publicKey.verify(signature: sig, message: [UInt8]()))
        let sig2 = try k.sign([0x72])
        #expect(k.publicKey.verify(signature: sig2, message: [0x72]))
        #expect(try k.sign([0x72]) == sig2, "Ed25519 signatures are deterministic")
        #expect(!k.publicKey.verify(signature: sig2, message: [0x73]))
        var bent = sig2
        bent[5] ^= 1
        #expect(!k.publicKey.verify(signature: bent, message: [0x72]))
        #expect(!k.publicKey.verify(signature: Array(sig2.prefix(63)), message: [0x72]))
    }

    @Test func keyIdIsTheFirst8BytesOfSHA256OfTheRawKey() throws {
        let k = try Ed25519PrivateKey(pem: Self.rfcKeyPEM, source: "test")
        #expect(k.publicKey.keyID == String(SHA256Hasher.hex(Hex.decode(Self.rfcPublic)!).prefix(16)))
        #expect(k.description.contains(k.publicKey.keyID))
        #expect(!k.description.contains("MC4C"))
    }

    @Test func generatedKeysRoundTripThroughPEM() throws {
        let k = try Ed25519PrivateKey.generate()
        let pem = try k.pkcs8PEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try Ed25519PrivateKey(pem: pem, source: "x")
        #expect(again.publicKey == k.publicKey)
        let pubs = try Ed25519PublicKey.parsePEM(k.publicKey.pem + "\n" + Ed25519PrivateKey.generate().publicKey.pem, source: "two")
        #expect(pubs.count == 2 && pubs[0] == k.publicKey)
        let msg: [UInt8] = Array("manifest bytes".utf8)
        #expect(pubs[0].verify(signature: try again.sign(msg), message: msg))
        #expect(!pubs[1].verify(signature: try again.sign(msg), message: msg))
    }

    @Test func wrongKeyFilesGetClearErrors() throws {
        #expect { _ = try Ed25519PrivateKey(pem: "not a key", source: "'k'") } throws: { e in
            "\(e)".contains("exactly one PEM block")
        }
        let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect { _ = try Ed25519PrivateKey(pem: enc, source: "'k'") } throws: { e in
            (e as? ChainsnapError)?.hint?.contains("unencrypted") == true
        }
        #expect { _ = try Ed25519PublicKey.parsePEM(Self.rfcKeyPEM, source: "f") } throws: { e in
            "\(e)".contains("not a PUBLIC KEY")
        }
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        #expect(throws: ChainsnapError.self) { _ = try Ed25519PublicKey.parsePEM(garbage, source: "f") }
    }

    @Test func base64RoundTripsAndIsStrict() {
        for n in 0..<70 {
            let b = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37) }
            #expect(Base64.decode(Base64.encode(b)) == b)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.decode("Zm9vYg==") == Array("foob".utf8))
        #expect(Base64.decode("Zm9vYg=") == nil)
        #expect(Base64.decode("Zm9v!mFy") == nil)
        #expect(Base64.decode("Zm=vYmFy") == nil)
        // Found by the `bundle` fuzzer: non-zero bits before the padding were accepted, so two
        // texts decoded to the same bytes ("Snatura=" and "SnaturQ=").
        #expect(Base64.decode("Snatura=") == nil)
        #expect(Base64.decode("SnaturQ=") == [0x4a, 0x76, 0xad, 0xba, 0xb4])
        #expect(Base64.decode("Zm9vYh==") == nil)
    }
}
