import Foundation
@testable import Stores
import Testing

/// How store options (the command-line flags) become downloader settings.
@Suite struct TransferSettingsTests {
    @Test("bodies in flight get half of --memory-limit; --http2 and CHAINSNAP_HTTP2=1 both offer HTTP/2")
    func settings() {
        let plain = StoreOptions(caFile: "/ca.pem", connections: 24, memoryLimit: 256 << 20)
            .transferOptions(signer: nil, environment: [:])
        #expect(plain.memoryLimit == 128 << 20)
        #expect(plain.connections == 24)
        #expect(plain.caFile == "/ca.pem")
        #expect(!plain.http2)
        #expect(StoreOptions(memoryLimit: 16 << 20).transferOptions(signer: nil, environment: [:]).memoryLimit == 8 << 20)
        #expect(StoreOptions(http2: true).transferOptions(signer: nil, environment: [:]).http2)
        #expect(StoreOptions().transferOptions(signer: nil, environment: ["CHAINSNAP_HTTP2": "1"]).http2)
    }
}
