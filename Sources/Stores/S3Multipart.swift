import Codecs
import Foundation
import LocalFS
import SnapshotCore
import Transfer

/// Multipart upload: large files go up in parallel parts; any failure aborts the upload so
/// no orphaned parts are left behind (they would be billed and never cleaned).
extension S3Store {
    public func putFile(_ key: String, path: String) async throws {
        let file = try RawFile(readingAt: path)
        let size = try file.size()
        if size < multipartThreshold {
            try await put(key, bytes: try file.read(count: Int(size), at: 0))
            return
        }
        try await multipartUpload(key, file: file, size: size)
    }

    /// One in-progress multipart upload: its key and id.
    public struct MultipartUpload: Sendable, Equatable {
        public var key: String
        public var uploadID: String
    }

    func multipartUpload(_ key: String, file: RawFile, size: Int64) async throws {
        let full = objectKey(key)
        let createURL = objectURL(full, query: "uploads=")
        let r = try await runner.send("POST", createURL, body: [], payloadHash: SigV4Signer.emptyPayloadHash)
        try check(r, "POST", createURL)
        guard let uploadID = S3XML.value("UploadId", in: Substring(String(decoding: r.body, as: UTF8.self))) else {
            throw ChainsnapError(.http, "CreateMultipartUpload for \(key) gave no UploadId", object: key)
        }
        let ranges = RangePlanner.split(size: size, partSize: max(5 << 20, partSize))
        do {
            let etags = try await uploadParts(full, uploadID: uploadID, file: file, ranges: ranges)
            var xml = "<CompleteMultipartUpload>"
            for (i, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let body = Array(xml.utf8)
            let u = objectURL(full, query: "uploadId=\(URIEncoding.encode(uploadID))")
            let done = try await runner.send("POST", u, headers: [("Content-Type", "application/xml")], body: body,
                                             payloadHash: SHA256Hasher.hex(body))
            try check(done, "POST", u)
            // S3 may answer 200 and still report an error in the body.
            let text = Substring(String(decoding: done.body, as: UTF8.self))
            if S3XML.value("Code", in: text) != nil, S3XML.blocks("Error", in: text).count > 0 {
                throw HTTPFailure.error(method: "POST", url: u, status: 500, body: done.body)
            }
        } catch {
            await abortUpload(full, uploadID: uploadID)
            throw error
        }
    }

    private func uploadParts(_ full: String, uploadID: String, file: RawFile, ranges: [Range<Int64>]) async throws -> [String] {
        var etags = [String](repeating: "", count: ranges.count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                let range = ranges[i]
                group.addTask {
                    let bytes = try file.read(count: Int(range.count), at: range.lowerBound)
                    guard bytes.count == range.count else {
                        throw ChainsnapError(.io, "\(file.path) shrank while it was being uploaded", object: file.path)
                    }
                    let u = objectURL(full, query: "partNumber=\(i + 1)&uploadId=\(URIEncoding.encode(uploadID))")
                    let r = try await runner.send("PUT", u, body: bytes, payloadHash: SHA256Hasher.hex(bytes))
                    try check(r, "PUT", u)
                    guard let etag = r.headers["etag"] else {
                        throw ChainsnapError(.http, "UploadPart \(i + 1) of \(full) gave no ETag", object: full)
                    }
                    return (i, etag)
                }
            }
            for _ in 0..<min(max(1, uploadConcurrency), ranges.count) { add() }
            while let (i, etag) = try await group.next() {
                etags[i] = etag
                if next < ranges.count { add() }
            }
        }
        return etags
    }

    /// Aborts an upload, best effort (logged if it fails).
    func abortUpload(_ full: String, uploadID: String) async {
        let u = objectURL(full, query: "uploadId=\(URIEncoding.encode(uploadID))")
        do {
            let r = try await runner.send("DELETE", u)
            if !(200..<300).contains(r.status) && r.status != 404 {
                options.log?("could not abort multipart upload of \(full): HTTP \(r.status); remove it with a lifecycle rule")
            }
        } catch {
            options.log?("could not abort multipart upload of \(full): \(error)")
        }
    }

    /// Multipart uploads still open under the store's prefix (ListMultipartUploads).
    public func listMultipartUploads() async throws -> [MultipartUpload] {
        let u = bucketURL(query: "uploads=&prefix=\(URIEncoding.encode(prefix))")
        let r = try await runner.send("GET", u)
        try check(r, "GET", u)
        let text = Substring(String(decoding: r.body, as: UTF8.self))
        return S3XML.blocks("Upload", in: text).compactMap { b in
            guard let k = S3XML.value("Key", in: b), let id = S3XML.value("UploadId", in: b) else { return nil }
            return MultipartUpload(key: k, uploadID: id)
        }
    }

    /// Aborts every open multipart upload under the store's prefix; returns how many.
    @discardableResult
    public func abortAllMultipartUploads() async throws -> Int {
        let open = try await listMultipartUploads()
        for u in open { await abortUpload(u.key, uploadID: u.uploadID) }
        return open.count
    }
}
