@testable import Stores
import Testing

@Suite struct FolderRedirectTests {
    @Test("a redirect from NAME to NAME/ (absolute or a path, with or without a query) is a folder; other answers are not")
    func folderRedirects() {
        let u = "http://127.0.0.1:8080/base/conf/a"
        #expect(HTTPStore.isFolderRedirect(status: 301, location: "http://127.0.0.1:8080/base/conf/a/", url: u))
        #expect(HTTPStore.isFolderRedirect(status: 302, location: "https://cdn.example/base/conf/a/", url: u + "?sig=x"))
        #expect(HTTPStore.isFolderRedirect(status: 308, location: "/base/conf/a/", url: u))
        #expect(!HTTPStore.isFolderRedirect(status: 301, location: "/base/conf/b/", url: u))
        #expect(!HTTPStore.isFolderRedirect(status: 301, location: "/base/conf/a", url: u))
        #expect(!HTTPStore.isFolderRedirect(status: 301, location: nil, url: u))
        #expect(!HTTPStore.isFolderRedirect(status: 200, location: "/base/conf/a/", url: u))
    }
}
