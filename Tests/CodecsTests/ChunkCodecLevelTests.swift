import Codecs
import SnapshotCore
import Testing

@Suite struct ChunkCodecLevelTests {
    @Test("no level takes the codec's default; a level outside its range names both ranges")
    func levels() throws {
        #expect(try ChunkCodec.zstd.checkedLevel(nil) == 3)
        #expect(try ChunkCodec.lz4.checkedLevel(nil) == 0)
        #expect(try ChunkCodec.zstd.checkedLevel(19) == 19)
        #expect(try ChunkCodec.lz4.checkedLevel(12) == 12)
        let e = #expect(throws: ChainsnapError.self) { try ChunkCodec.lz4.checkedLevel(13) }
        #expect(e?.message == "--level 13 is out of range for lz4: zstd takes 1-19, lz4 0-12")
        #expect(throws: ChainsnapError.self) { try ChunkCodec.zstd.checkedLevel(0) }
        #expect(throws: ChainsnapError.self) { try ChunkCodec.zstd.checkedLevel(20) }
    }
}
