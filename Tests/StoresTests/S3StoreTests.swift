import Foundation
import LocalFS
import SnapshotCore
@testable import Stores
import TestSupport
import Testing

@Suite("S3Store against SeaweedFS", .requires("weed"))
struct S3StoreTests {
    @Test func objectOperations() async throws {
        try await withSeaweed { server, options, creds in
            let store = try S3Store(bucket: "chainsnap-ops", prefix: "net/main", options: options, credentials: creds)
            try await store.createBucket()
            let data = randomBytes(300_000, seed: 7)
            try await store.put("a/one.bin", bytes: data)
            #expect(try await store.get("a/one.bin") == data)
            #expect(try await store.get("a/one.bin", range: 1000..<2000) == Array(data[1000..<2000]))
            // A range past the end is clamped.
            #expect(try await store.get("a/one.bin", range: 299_990..<400_000) == Array(data[299_990...]))
            let info = try await store.head("a/one.bin")
            #expect(info?.size == Int64(data.count))
            #expect(info?.etag != nil)
            #expect(try await store.head("a/missing.bin") == nil)
            let missing = await chainsnapError { _ = try await store.get("a/missing.bin") }
            #expect(missing?.code == .notFound)
            // Awkward key characters are encoded once and signed correctly.
            let odd = "dir one/ü€/a+b=c&d~(x).rlp"
            try await store.put(odd, bytes: [1, 2, 3])
            #expect(try await store.get(odd) == [1, 2, 3])
            #expect(try await store.list(prefix: "dir one/").map(\.key) == [odd])
            // A presigned URL works for a plain client (curl), with a Range.
            let url = try store.presignedURL("a/one.bin", expires: 300)
            let tmp = TempDir("presigned")
            let status = try Servers.runLogged("/usr/bin/curl", ["-s", "-f", "-r", "0-9", "-o", tmp.sub("out"), url],
                                               logPath: tmp.sub("curl.log"))
            #expect(status == 0)
            #expect(FileManager.default.contents(atPath: tmp.sub("out")).map { Array($0) } == Array(data[0..<10]))
            // The same URL with one signature character changed is refused.
            let tampered = String(url.dropLast()) + (url.hasSuffix("0") ? "1" : "0")
            #expect(try Servers.runLogged("/usr/bin/curl", ["-s", "-f", "-o", "/dev/null", tampered], logPath: tmp.sub("curl2.log")) != 0)
            try await store.delete("a/one.bin")
            #expect(try await store.head("a/one.bin") == nil)
            try await store.delete("a/one.bin")  // deleting twice is fine
            // Through openStore with options, as the CLI does.
            var o = options
            o.log = { _ in }
            let env = server.credentialEnvironment
            let viaURL = try S3Store(bucket: "chainsnap-ops", prefix: "net/main", options: o, environment: env)
            #expect(try await viaURL.get(odd) == [1, 2, 3])
        }
    }

    @Test func listsMoreThanOnePage() async throws {
        try await withSeaweed { _, options, creds in
            let store = try S3Store(bucket: "chainsnap-list", prefix: "p", options: options, credentials: creds)
            try await store.createBucket()
            let keys = (0..<1105).map { String(format: "chunks/%02x/%05d", $0 % 7, $0) }
            try await withThrowingTaskGroup(of: Void.self) { g in
                var i = 0
                for _ in 0..<32 {
                    let k = keys[i]; i += 1
                    g.addTask { try await store.put(k, bytes: Array(k.utf8)) }
                }
                while try await g.next() != nil, i < keys.count {
                    let k = keys[i]; i += 1
                    g.addTask { try await store.put(k, bytes: Array(k.utf8)) }
                }
            }
            let all = try await store.list(prefix: "chunks/")
            #expect(all.count == keys.count)
            #expect(all.map(\.key) == keys.sorted())
            #expect(all.allSatisfy { $0.size == Int64($0.key.utf8.count) })
            let some = try await store.list(prefix: "chunks/03/")
            #expect(some.count == keys.filter { $0.hasPrefix("chunks/03/") }.count)
        }
    }

    @Test func multipartUploadAndAbort() async throws {
        try await withSeaweed { _, options, creds in
            var store = try S3Store(bucket: "chainsnap-mpu", prefix: "", options: options, credentials: creds)
            store.multipartThreshold = 5 << 20
            store.partSize = 5 << 20
            try await store.createBucket()
            let dir = TempDir("mpu")
            let data = randomBytes((12 << 20) + 12345, seed: 99)
            try Data(data).write(to: URL(fileURLWithPath: dir.sub("big.bin")))
            try await store.putFile("big.bin", path: dir.sub("big.bin"))
            #expect(try await store.head("big.bin")?.size == Int64(data.count))
            #expect(try await store.get("big.bin") == data)
            // A failing upload (the file is shorter than claimed) is aborted: nothing is left behind.
            let file = try RawFile(readingAt: dir.sub("big.bin"))
            let err = await chainsnapError {
                try await store.multipartUpload("broken.bin", file: file, size: Int64(data.count) + (5 << 20))
            }
            #expect(err?.message.contains("shrank") == true, "\(String(describing: err))")
            #expect(try await store.listMultipartUploads().isEmpty)
            #expect(try await store.head("broken.bin") == nil)
        }
    }

    @Test func bulkFetchWithRanges() async throws {
        try await withSeaweed { _, options, creds in
            let store = try S3Store(bucket: "chainsnap-bulk", prefix: "x", options: options, credentials: creds)
            try await store.createBucket()
            var objects: [String: [UInt8]] = [:]
            for i in 0..<6 {
                let b = randomBytes(200_000 + i * 1000, seed: UInt64(i + 1))
                objects["o\(i)"] = b
                try await store.put("o\(i)", bytes: b)
            }
            var reqs: [FetchRequest] = []
            for (k, b) in objects {
                reqs.append(FetchRequest(key: k, expectedSize: Int64(b.count)))
                reqs.append(FetchRequest(key: k, range: 100..<50_100, expectedSize: 50_000))
            }
            let got = Bodies()
            try await store.fetchAll(reqs) { r, body in got.add(r, body) }
            #expect(got.count == reqs.count)
            for r in reqs {
                let src = objects[r.key]!
                let want = r.range.map { Array(src[Int($0.lowerBound)..<Int($0.upperBound)]) } ?? src
                #expect(got[r] == want, "\(r.key) \(String(describing: r.range))")
            }
            let missing = await chainsnapError { try await store.fetchAll([FetchRequest(key: "nope")]) { _, _ in } }
            #expect(missing?.code == .notFound)
        }
    }

    @Test func wrongSecretIsRefusedClearly() async throws {
        try await withSeaweed { _, options, creds in
            let good = try S3Store(bucket: "chainsnap-auth", prefix: "", options: options, credentials: creds)
            try await good.createBucket()
            try await good.put("k", bytes: [1])
            let badCreds = AWSCredentials(accessKeyID: creds.accessKeyID, secretAccessKey: creds.secretAccessKey + "x")
            let bad = try S3Store(bucket: "chainsnap-auth", prefix: "", options: options, credentials: badCreds)
            let putErr = await chainsnapError { try await bad.put("k2", bytes: [2]) }
            #expect(putErr?.code == .auth)
            #expect(putErr?.message.contains("SignatureDoesNotMatch") == true, "\(String(describing: putErr))")
            #expect(putErr?.hint?.contains("secret") == true)
            #expect(putErr?.description.contains(badCreds.secretAccessKey) == false)
            let getErr = await chainsnapError { _ = try await bad.get("k") }
            #expect(getErr?.code == .auth, "\(String(describing: getErr))")
            let listErr = await chainsnapError { _ = try await bad.list(prefix: "") }
            #expect(listErr?.code == .auth)
        }
    }
}
