import Foundation
import SnapshotCore
@testable import Stores
import TestSupport
import Testing

@Suite("Credential sources")
struct CredentialsTests {
    @Test func environmentIsUsedAndLoggedWithoutTheSecret() throws {
        let log = LineLog()
        let opts = StoreOptions(log: { log.add($0) })
        let c = try CredentialResolver.resolve(options: opts, environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret123", "AWS_SESSION_TOKEN": "tok",
        ])
        #expect(c.accessKeyID == "AKIDENV" && c.secretAccessKey == "envsecret123" && c.sessionToken == "tok")
        #expect(log.lines.count == 1)
        #expect(log.lines[0].contains("environment"))
        #expect(!log.lines[0].contains("envsecret123") && !log.lines[0].contains("tok)"))
    }

    @Test func credentialsDirWinsAndAcceptsBothNamings() throws {
        let dir = TempDir("creds")
        try "AKIDDIR\n".write(toFile: dir.sub("access-key-id"), atomically: true, encoding: .utf8)
        try "dirsecret\n".write(toFile: dir.sub("secret-access-key"), atomically: true, encoding: .utf8)
        let c = try CredentialResolver.resolve(options: StoreOptions(credentialsDir: dir.path),
                                               environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "x"])
        #expect(c.accessKeyID == "AKIDDIR" && c.secretAccessKey == "dirsecret" && c.sessionToken == nil)
        #expect(c.source.contains(dir.path))
        let dir2 = TempDir("creds2")
        try "AKIDENVNAMES".write(toFile: dir2.sub("AWS_ACCESS_KEY_ID"), atomically: true, encoding: .utf8)
        try "s2".write(toFile: dir2.sub("AWS_SECRET_ACCESS_KEY"), atomically: true, encoding: .utf8)
        try "t2".write(toFile: dir2.sub("AWS_SESSION_TOKEN"), atomically: true, encoding: .utf8)
        let c2 = try CredentialResolver.resolve(options: StoreOptions(credentialsDir: dir2.path), environment: [:])
        #expect(c2.accessKeyID == "AKIDENVNAMES" && c2.sessionToken == "t2")
        let empty = TempDir("creds3")
        #expect(throws: ChainsnapError.self) {
            try CredentialResolver.resolve(options: StoreOptions(credentialsDir: empty.path), environment: [:])
        }
    }

    @Test func sharedCredentialsFileAndProfile() throws {
        let dir = TempDir("aws")
        try """
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = defsecret

        [profile ops]
        aws_access_key_id=AKIDOPS
        aws_secret_access_key=opssecret
        aws_session_token=opstoken
        """.write(toFile: dir.sub("credentials"), atomically: true, encoding: .utf8)
        let env = ["AWS_SHARED_CREDENTIALS_FILE": dir.sub("credentials")]
        #expect(try CredentialResolver.resolve(options: StoreOptions(), environment: env).accessKeyID == "AKIDDEFAULT")
        let ops = try CredentialResolver.resolve(options: StoreOptions(), environment: env.merging(["AWS_PROFILE": "ops"]) { $1 })
        #expect(ops.accessKeyID == "AKIDOPS" && ops.sessionToken == "opstoken")
        #expect(ops.source.contains("profile ops"))
        let viaOption = try CredentialResolver.resolve(options: StoreOptions(profile: "ops"), environment: env)
        #expect(viaOption.accessKeyID == "AKIDOPS")
        #expect(throws: ChainsnapError.self) {
            try CredentialResolver.resolve(options: StoreOptions(profile: "nope"), environment: env)
        }
    }

    @Test func missingCredentialsSayTheThreeWays() {
        do {
            _ = try CredentialResolver.resolve(options: StoreOptions(), environment: ["HOME": "/nonexistent"])
            Issue.record("expected an error")
        } catch let e as ChainsnapError {
            #expect(e.code == .auth)
            let hint = e.hint ?? ""
            #expect(hint.contains("AWS_ACCESS_KEY_ID") && hint.contains("credentials file") && hint.contains("--credentials-dir"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func s3AddressingStyles() throws {
        let creds = AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK")
        let aws = try S3Store(bucket: "bkt", prefix: "/a/b/", options: StoreOptions(region: "eu-west-1"), credentials: creds,
                              environment: [:])
        #expect(aws.objectURL(aws.objectKey("c d")) == "https://bkt.s3.eu-west-1.amazonaws.com/a/b/c%20d")
        #expect(aws.displayURL == "s3://bkt/a/b")
        let custom = try S3Store(bucket: "bkt", prefix: "", options: StoreOptions(endpoint: "http://127.0.0.1:9000/"),
                                 credentials: creds, environment: [:])
        #expect(custom.objectURL("k") == "http://127.0.0.1:9000/bkt/k")
        #expect(custom.bucketURL(query: "list-type=2") == "http://127.0.0.1:9000/bkt?list-type=2")
        let forcedVirtual = try S3Store(bucket: "bkt", prefix: "", options: StoreOptions(endpoint: "https://nyc3.digitaloceanspaces.com",
                                                                                         pathStyle: false),
                                        credentials: creds, environment: [:])
        #expect(forcedVirtual.objectURL("k") == "https://bkt.nyc3.digitaloceanspaces.com/k")
        #expect(throws: ChainsnapError.self) {
            try S3Store(bucket: "bkt", prefix: "", options: StoreOptions(endpoint: "ftp://x"), credentials: creds, environment: [:])
        }
    }
}
