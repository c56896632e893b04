import Codecs
import Foundation
import Stores
import TestSupport
import Testing
import Transfer

/// `20150830T123600Z` → Date.
func parseAmzDate(_ s: String) -> Date {
    var t = tm()
    let u = Array(s.utf8).map { Int32($0) - 48 }
    t.tm_year = u[0] * 1000 + u[1] * 100 + u[2] * 10 + u[3] - 1900
    t.tm_mon = u[4] * 10 + u[5] - 1
    t.tm_mday = u[6] * 10 + u[7]
    t.tm_hour = u[9] * 10 + u[10]
    t.tm_min = u[11] * 10 + u[12]
    t.tm_sec = u[13] * 10 + u[14]
    return Date(timeIntervalSince1970: Double(timegm(&t)))
}

let sigv4Dir: String? = Paths.sharedFixture("sigv4")

@Suite("SigV4 against AWS's published vectors", .requiresSharedFixture("sigv4"))
struct SigV4Tests {
    struct S3Case: Decodable {
        var name: String
        var kind: String
        var method: String
        var url: String
        var headers: [String: String]?
        var body: String?
        var payload: String?
        var access_key: String
        var secret_key: String
        var session_token: String?
        var region: String
        var timestamp: String
        var expires: Int?
        var canonical_request: String
        var string_to_sign: String
        var signature: String
        var authorization: String?
        var presigned_url: String?
    }

    func s3Cases() throws -> [S3Case] {
        let data = try Data(contentsOf: URL(fileURLWithPath: sigv4Dir! + "/s3_vectors.json"))
        return try JSONDecoder().decode([S3Case].self, from: data)
    }

    @Test func timestampAndSigningKey() {
        #expect(SigV4Signer.timestamp(parseAmzDate("20150830T123600Z")) == "20150830T123600Z")
        // The signing-key example of the AWS documentation.
        let key = SigV4Signer.signingKey(secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20120215",
                                         region: "us-east-1", service: "iam")
        #expect(Hex.encode(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func s3HeaderSignaturesMatch() throws {
        let cases = try s3Cases().filter { $0.kind == "header" }
        #expect(cases.count >= 10)
        for c in cases {
            let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: c.access_key, secretAccessKey: c.secret_key,
                                                                 sessionToken: c.session_token), region: c.region)
            let body = Array((c.body ?? "").utf8)
            let hash = c.payload == "unsigned" ? SigV4Signer.unsignedPayload : SHA256Hasher.hex(body)
            let headers = (c.headers ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let s = try signer.signature(method: c.method, url: c.url, headers: headers, payloadHash: hash,
                                         date: parseAmzDate(c.timestamp))
            #expect(s.canonicalRequest == c.canonical_request, "\(c.name): canonical request")
            #expect(s.stringToSign == c.string_to_sign, "\(c.name): string to sign")
            #expect(s.signature == c.signature, "\(c.name): signature")
            if let a = c.authorization {
                #expect(s.authorization.replacingOccurrences(of: ", ", with: ",") == a.replacingOccurrences(of: ", ", with: ","),
                        "\(c.name): Authorization")
            }
        }
    }

    @Test func s3PresignedURLsMatch() throws {
        let cases = try s3Cases().filter { $0.kind == "presign" }
        #expect(cases.count >= 3)
        for c in cases {
            let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: c.access_key, secretAccessKey: c.secret_key,
                                                                 sessionToken: c.session_token), region: c.region)
            let (url, s) = try signer.presign(method: c.method, url: c.url, date: parseAmzDate(c.timestamp), expires: c.expires ?? 3600)
            #expect(s.canonicalRequest == c.canonical_request, "\(c.name): canonical request")
            #expect(s.signature == c.signature, "\(c.name): signature")
            // Query order on the wire is free; compare the parameter sets.
            func params(_ u: String) -> [String] { (u.split(separator: "?", maxSplits: 1).last ?? "").split(separator: "&").map(String.init).sorted() }
            #expect(url.split(separator: "?").first == c.presigned_url?.split(separator: "?").first, "\(c.name): base")
            #expect(params(url) == params(c.presigned_url ?? ""), "\(c.name): presigned query")
        }
    }

    /// The generic AWS SigV4 test suite (service "service", no content-hash header). The
    /// `normalize-path` group is left out on purpose: S3 does not normalise paths.
    @Test func awsTestSuite() throws {
        let root = sigv4Dir! + "/aws4_testsuite"
        let names = try FileManager.default.contentsOfDirectory(atPath: root).filter {
            FileManager.default.fileExists(atPath: "\(root)/\($0)/\($0).req")
        }.sorted()
        #expect(names.count >= 20)
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                                             secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "service", signsContentHash: false)
        var checked = 0
        for name in names {
            let dir = "\(root)/\(name)/\(name)"
            let req = try String(contentsOfFile: dir + ".req", encoding: .utf8)
            let creq = try String(contentsOfFile: dir + ".creq", encoding: .utf8)
            let sts = try String(contentsOfFile: dir + ".sts", encoding: .utf8)
            let authz = try String(contentsOfFile: dir + ".authz", encoding: .utf8)
            var lines = req.components(separatedBy: "\n")
            let first = lines.removeFirst().split(separator: " ")
            let method = String(first[0])
            let target = first[1..<(first.count - 1)].joined(separator: " ")
            var headers: [(String, String)] = []
            var bodyLines: [String] = []
            var inBody = false
            for l in lines {
                if inBody { bodyLines.append(l); continue }
                if l.isEmpty { inBody = true; continue }
                if l.first == " " || l.first == "\t", !headers.isEmpty {
                    headers[headers.count - 1].1 += " " + l.trimmingCharacters(in: .whitespaces)
                    continue
                }
                guard let colon = l.firstIndex(of: ":") else { continue }
                headers.append((String(l[..<colon]), String(l[l.index(after: colon)...])))
            }
            let host = headers.first { $0.0.lowercased() == "host" }!.1
            let date = headers.first { $0.0.lowercased() == "x-amz-date" }!.1
            let body = Array(bodyLines.joined(separator: "\n").utf8)
            var s = signer
            // A session token appears only in the signed request (.sreq) of its case.
            let sreq = (try? String(contentsOfFile: dir + ".sreq", encoding: .utf8)) ?? ""
            if !headers.contains(where: { $0.0.lowercased() == "x-amz-security-token" }),
               let line = sreq.components(separatedBy: "\n").first(where: { $0.lowercased().hasPrefix("x-amz-security-token:") }) {
                s.credentials.sessionToken = String(line[line.index(after: line.firstIndex(of: ":")!)...])
            }
            let signed = try s.signature(method: method, url: "https://\(host)\(target)", headers: headers,
                                         payloadHash: SHA256Hasher.hex(body), date: parseAmzDate(date))
            #expect(signed.canonicalRequest == creq, "\(name): canonical request")
            #expect(signed.stringToSign == sts, "\(name): string to sign")
            #expect(signed.authorization.replacingOccurrences(of: ", ", with: ",")
                    == authz.replacingOccurrences(of: ", ", with: ","), "\(name): Authorization")
            checked += 1
        }
        #expect(checked == names.count)
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encodePath("dir one/üۄ/a+b=c&d~(x).rlp") == "dir%20one/%C3%BC%DB%84/a%2Bb%3Dc%26d~%28x%29.rlp")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
        #expect(URIEncoding.decode("a%2Fb%20c") == "a/b c")
        #expect(URIEncoding.decode("%zz") == nil)
    }
}
