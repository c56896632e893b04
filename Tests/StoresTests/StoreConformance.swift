import Foundation
import SnapshotCore
import Stores
import Testing
import TestSupport

/// The `ObjectStore` contract, checked the same way against every store (restic's
/// `internal/backend/test` is the model): listing and paging, whole and ranged gets, head,
/// missing objects, writes where the store takes them, refusals where it does not, and the
/// capability protocols it is expected to adopt.
struct StoreConformance {
    let store: any ObjectStore
    /// Whether the store must accept put/putFile/delete (file://, s3://) or refuse them (https://).
    let writable: Bool
    /// Whether the store must be `BulkFetching` (the network stores, through the parallel downloader).
    let bulkFetching: Bool

    /// The objects every store under test holds before the checks run (same keys and bytes everywhere).
    static let objects: [String: [UInt8]] = {
        var o: [String: [UInt8]] = [
            "conf/a/one.bin": randomBytes(300_000, seed: 1),
            "conf/a/two.bin": randomBytes(10, seed: 2),
            "conf/b/three.bin": randomBytes(70_000, seed: 3),
            "conf/deep/x/y/z.bin": [1, 2, 3],
            "conf/empty.bin": [],
        ]
        // More keys than one S3 ListObjectsV2 page (1,000) under one prefix.
        for i in 0..<1010 { o[String(format: "conf/page/%04d", i)] = Array("object \(i)".utf8) }
        return o
    }()

    static func keys(_ prefix: String) -> [String] { objects.keys.filter { $0.hasPrefix(prefix) }.sorted() }

    /// Writes `objects` into a folder (the read-only store's served root, or a file store's).
    static func seed(folder root: String) throws {
        for (key, bytes) in objects {
            let path = root + "/" + key
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    /// Puts `objects` through the store itself, 16 at a time.
    static func seed(store: any ObjectStore) async throws {
        let all = Array(objects)
        try await withThrowingTaskGroup(of: Void.self) { g in
            var next = 0
            func add() {
                let (k, b) = all[next]
                next += 1
                g.addTask { try await store.put(k, bytes: b) }
            }
            while next < min(16, all.count) { add() }
            while try await g.next() != nil { if next < all.count { add() } }
        }
        try await store.flush()
    }

    func run() async throws {
        try await listing()
        try await gets()
        try await rangedGets()
        try await heads()
        try await missingObjects()
        try await capabilities()
        if writable { try await writes() } else { try await refusedWrites() }
    }

    func listing() async throws {
        let all = try await store.list(prefix: "conf/")
        #expect(all.map(\.key) == Self.keys("conf/"), "list(conf/) holds every object, in key order")
        for info in all { #expect(info.size == Int64(Self.objects[info.key]!.count), "list size of \(info.key)") }
        #expect(try await store.list(prefix: "conf/page/").count == 1010, "listing past one page")
        #expect(try await store.list(prefix: "conf/a/").map(\.key) == ["conf/a/one.bin", "conf/a/two.bin"])
        #expect(try await store.list(prefix: "conf/a").map(\.key) == ["conf/a/one.bin", "conf/a/two.bin"],
                "a prefix that is not a whole folder name")
        #expect(try await store.list(prefix: "conf/b/thr").map(\.key) == ["conf/b/three.bin"], "a prefix inside a name")
        #expect(try await store.list(prefix: "conf/deep/").map(\.key) == ["conf/deep/x/y/z.bin"], "nested folders")
        #expect(try await store.list(prefix: "nothing-here/").isEmpty)
        // forEachObject hands over the same objects (in no promised order), prefix rules included.
        for prefix in ["conf/", "conf/a", "conf/b/thr", "conf/deep/", "nothing-here/"] {
            var seen: [String: Int64] = [:]
            try await store.forEachObject(prefix: prefix) { seen[$0.key] = $0.size }
            let listed = try await store.list(prefix: prefix)
            #expect(seen == Dictionary(uniqueKeysWithValues: listed.map { ($0.key, $0.size) }), "forEachObject(\(prefix))")
        }
    }

    func gets() async throws {
        for key in ["conf/a/one.bin", "conf/a/two.bin", "conf/b/three.bin", "conf/deep/x/y/z.bin", "conf/page/0999"] {
            #expect(try await store.get(key) == Self.objects[key]!, "get \(key)")
        }
        #expect(try await store.get("conf/empty.bin") == [], "an empty object")
    }

    func rangedGets() async throws {
        let one = Self.objects["conf/a/one.bin"]!
        let cases: [(Range<Int64>, [UInt8], String)] = [
            (1000..<2000, Array(one[1000..<2000]), "inside"),
            (0..<1, [one[0]], "first byte"),
            (299_999..<300_000, [one[299_999]], "last byte"),
            (299_990..<400_000, Array(one[299_990...]), "past the end is clamped"),
            (0..<300_000, one, "the whole object"),
            (5..<5, [], "empty range"),
        ]
        for (range, want, what) in cases {
            #expect(try await store.get("conf/a/one.bin", range: range) == want, "ranged get: \(what)")
        }
    }

    func heads() async throws {
        #expect(try await store.head("conf/a/one.bin")?.size == 300_000)
        #expect(try await store.head("conf/a/one.bin")?.key == "conf/a/one.bin")
        #expect(try await store.head("conf/empty.bin")?.size == 0)
        #expect(try await store.head("conf/a/missing.bin") == nil, "head of a missing object is nil")
        // A folder is not an object: file:// (a directory), nginx (a 301 to NAME/) and S3 (a prefix) agree.
        #expect(try await store.head("conf/a") == nil, "a folder is not an object")
    }

    func missingObjects() async throws {
        let whole = await chainsnapError { _ = try await store.get("conf/a/missing.bin") }
        #expect(whole?.code == .notFound, "\(String(describing: whole))")
        #expect(whole?.message.contains("conf/a/missing.bin") == true, "the error names the key: \(String(describing: whole))")
        let ranged = await chainsnapError { _ = try await store.get("conf/missing/x", range: 0..<10) }
        #expect(ranged?.code == .notFound, "\(String(describing: ranged))")
    }

    func capabilities() async throws {
        #expect(store.isWritable == writable)
        #expect(store.displayURL(for: "conf/a/one.bin").hasSuffix("conf/a/one.bin"))
        let bulk = store as? any BulkFetching
        #expect((bulk != nil) == bulkFetching, "BulkFetching conformance")
        guard let bulk else { return }
        let one = Self.objects["conf/a/one.bin"]!
        var requests = [FetchRequest(key: "conf/b/three.bin", expectedSize: 70_000)]
        for i in 0..<3 {
            let start = Int64(i) * 100_000
            requests.append(FetchRequest(key: "conf/a/one.bin", range: start..<(start + 100_000), expectedSize: 100_000))
        }
        let got = Bodies()
        try await bulk.fetchAll(requests) { r, body in got.add(r, body) }
        #expect(got[requests[0]] == Self.objects["conf/b/three.bin"])
        #expect(requests.dropFirst().flatMap { got[$0] ?? [] } == one, "ranges reassemble the object")
        let missing = await chainsnapError { try await bulk.fetchAll([FetchRequest(key: "conf/nope")]) { _, _ in } }
        #expect(missing?.code == .notFound)
    }

    func writes() async throws {
        try await store.put("conf/w/new.bin", bytes: [9, 8, 7])
        #expect(try await store.get("conf/w/new.bin") == [9, 8, 7])
        // Overwrite: the new bytes and size replace the old ones.
        let bigger = randomBytes(50_000, seed: 77)
        try await store.put("conf/w/new.bin", bytes: bigger)
        #expect(try await store.get("conf/w/new.bin") == bigger, "overwrite")
        #expect(try await store.head("conf/w/new.bin")?.size == 50_000)
        // putFile streams a local file.
        let tmp = TempDir("conformance-putfile")
        let local = randomBytes(123_457, seed: 78)
        try Data(local).write(to: URL(fileURLWithPath: tmp.sub("f")))
        try await store.putFile("conf/w/file.bin", path: tmp.sub("f"))
        #expect(try await store.get("conf/w/file.bin") == local, "putFile")
        try await store.flush()
        #expect(try await store.list(prefix: "conf/w/").map(\.key) == ["conf/w/file.bin", "conf/w/new.bin"])
        // Delete: gone from head, get and list; deleting again is fine.
        try await store.delete("conf/w/new.bin")
        #expect(try await store.head("conf/w/new.bin") == nil)
        #expect(await chainsnapError { _ = try await store.get("conf/w/new.bin") }?.code == .notFound)
        try await store.delete("conf/w/new.bin")
        try await store.delete("conf/w/file.bin")
        #expect(try await store.list(prefix: "conf/w/").isEmpty)
    }

    func refusedWrites() async throws {
        for (what, attempt) in [
            ("put", { try await store.put("conf/a/one.bin", bytes: [1]) }),
            ("putFile", { try await store.putFile("conf/x", path: "/dev/null") }),
            ("delete", { try await store.delete("conf/a/one.bin") }),
        ] as [(String, () async throws -> Void)] {
            let e = await chainsnapError(attempt)
            #expect(e?.code == .invalidArgument && e?.message.contains("read-only") == true, "\(what): \(String(describing: e))")
        }
        #expect(try await store.get("conf/a/one.bin") == Self.objects["conf/a/one.bin"]!, "nothing changed")
    }
}

@Suite("ObjectStore conformance: file://, nginx over https (read side), SeaweedFS over s3://", .serialized)
struct StoreConformanceTests {
    @Test("file:// (FileStore)")
    func fileStore() async throws {
        let tmp = TempDir("conformance-file")
        let store = try openStore("file://" + tmp.sub("store"))
        #expect(store is FileStore)
        try await StoreConformance.seed(store: store)
        try await StoreConformance(store: store, writable: true, bulkFetching: false).run()
    }

    @Test("https:// (HTTPStore) against nginx with a test CA", .requires("nginx", "openssl"))
    func nginxStore() async throws {
        let tmp = TempDir("conformance-nginx")
        try StoreConformance.seed(folder: tmp.sub("root"))
        try FileManager.default.createDirectory(atPath: tmp.sub("work"), withIntermediateDirectories: true)
        let root = tmp.sub("root"), work = tmp.sub("work")
        let nginx = try await offloaded { try NginxServer(root: root, workDir: work) }
        defer { nginx.stop() }
        let store = try openStore(nginx.tlsURL + "/", options: StoreOptions(caFile: nginx.caFile, connections: 4))
        #expect(store is HTTPStore)
        try await StoreConformance(store: store, writable: false, bulkFetching: true).run()
    }

    @Test("s3:// (S3Store) against SeaweedFS, under a key prefix", .requires("weed"))
    func seaweedStore() async throws {
        try await withSeaweed { _, options, creds in
            let store = try S3Store(bucket: "conformance", prefix: "under/here", options: options, credentials: creds)
            try await store.createBucket()
            try await StoreConformance.seed(store: store)
            try await StoreConformance(store: store, writable: true, bulkFetching: true).run()
        }
    }
}

/// What only the file store does: keys are checked against the folder, temporary files stay hidden.
@Suite struct FileStoreTests {
    @Test("keys that leave the store folder are refused; half-written temp files are not listed")
    func pathsAndTempFiles() async throws {
        let tmp = TempDir("filestore")
        let store = FileStore(root: tmp.sub("s"))
        for bad in ["../escape", "a/../../b", "/etc/passwd", ""] {
            #expect(await chainsnapError { try await store.put(bad, bytes: [1]) } != nil, "put '\(bad)'")
            #expect(await chainsnapError { _ = try await store.get(bad) } != nil, "get '\(bad)'")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.sub("escape")))
        try await store.put("d/k", bytes: [1, 2])
        try Data([0]).write(to: URL(fileURLWithPath: tmp.sub("s/d/.tmp-abc")))
        #expect(try await store.list(prefix: "d/").map(\.key) == ["d/k"])
        #expect(try await store.list(prefix: "").map(\.key) == ["d/k"])
        #expect(try await FileStore(root: tmp.sub("none")).list(prefix: "x/").isEmpty, "a store folder not created yet lists nothing")
        try await store.flush()
    }
}
