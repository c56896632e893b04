import KubeManifests
import SnapshotCore
import Testing

@Suite struct RestoreJobSourceTests {
    @Test("exactly one of --from and --from-secret")
    func choose() throws {
        #expect(try RestoreJobSource.choose(url: "s3://b/p", secret: nil) == .url("s3://b/p"))
        #expect(try RestoreJobSource.choose(url: nil, secret: "restore-url") == .secret(name: "restore-url"))
        let neither = #expect(throws: ChainsnapError.self) { try RestoreJobSource.choose(url: nil, secret: nil) }
        #expect(neither?.message == "give --from URL, or --from-secret NAME (a Secret whose key 'url' holds it)")
        let both = #expect(throws: ChainsnapError.self) { try RestoreJobSource.choose(url: "s3://b", secret: "s") }
        #expect(both?.message == "give either --from or --from-secret, not both")
    }
}
