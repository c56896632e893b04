import Testing
import Transfer

/// Every query value is redacted unless its name is known to be harmless (issue 10, item 6).
@Suite struct RedactTests {
    @Test(arguments: [
        "https://acct.blob.core.windows.net/c/node.tar.zst?sv=2022-11-02&se=2026-12-02T00%3A00Z&sr=b&sp=r&sig=SECRETSIG",
        "https://cdn.example.com/node.tar.zst?auth_key=1700000000-0-0-SECRET",
        "https://cdn.example.com/node.tar.zst?hdnts=exp=1700000000~acl=/*~hmac=SECRET",
        "https://cdn.example.com/node.tar.zst?key=SECRET",
        "https://cdn.example.com/node.tar.zst?password=SECRET&user=bob",
        "https://cdn.example.com/node.tar.zst?X-Amz-Signature=SECRET&X-Amz-Credential=AKIA%2FSECRET",
        "https://user:SECRET@cdn.example.com/node.tar.zst",
        "https://cdn.example.com/node.tar.zst?SECRET",
        "https://cdn.example.com/node.tar.zst#token=SECRET",
        "https://cdn.example.com/node.tar.zst?Sig=SECRET&SIG=SECRET",
    ])
    func secretsNeverSurvive(url: String) {
        let r = Redact.url(url)
        #expect(!r.contains("SECRET"), "\(r)")
        #expect(r.hasPrefix("https://"))
        #expect(r.contains("node.tar.zst"))
    }

    @Test func harmlessParametersStayReadable() {
        #expect(Redact.url("https://s3.example.com/b/k?partNumber=3&uploadId=abc") == "https://s3.example.com/b/k?partNumber=3&uploadId=abc")
        #expect(Redact.url("https://h/k?X-Amz-Expires=3600&X-Amz-Signature=s") == "https://h/k?X-Amz-Expires=3600&X-Amz-Signature=REDACTED")
        #expect(Redact.url("https://h/k?se=2026&sig=s&sv=1") == "https://h/k?se=2026&sig=REDACTED&sv=1")
        #expect(Redact.url("https://h/k?x-amz-date=1&uploads") == "https://h/k?x-amz-date=1&uploads")
        #expect(Redact.url("https://h/k?X%2DAmz%2DDate=1") == "https://h/k?X%2DAmz%2DDate=1")
        #expect(Redact.url("https://h/a/b") == "https://h/a/b")
        #expect(Redact.url("s3://bucket/prefix") == "s3://bucket/prefix")
    }

    @Test func textRedactsEveryURLItHolds() {
        let old = "archive https://h/node.tar.zst?hdnts=SECRET size:10 etag:\"e\""
        #expect(Redact.text(old) == "archive https://h/node.tar.zst?hdnts=REDACTED size:10 etag:\"e\"")
        #expect(Redact.text("20261201T000000Z-0a1b2c3d") == "20261201T000000Z-0a1b2c3d")
    }
}
