@testable import Plugins
import Testing

@Suite("Feed-forward row chunks")
struct FeedForwardChunkTests {
    @Test("chunks cover every row once, equal multiples of 8 but the last, about 1.5 MiB of activations")
    func chunks() {
        // MiniLM (1,536 activations a row): 256 rows a chunk at most.
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 0, intermediateWidth: 1536) == [])
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 5, intermediateWidth: 1536) == [0..<5])
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 256, intermediateWidth: 1536) == [0..<256])
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 525, intermediateWidth: 1536) == [0..<176, 176..<352, 352..<525])
        // Wide layers are cut by 128 rows (3 MiB at 4,096 wide); narrow ones take every row at once.
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 300, intermediateWidth: 4096) == [0..<104, 104..<208, 208..<300])
        #expect(TransformerEncoderLayer.feedForwardChunks(rows: 5_000, intermediateWidth: 37) == [0..<5_000])
        for rows in [1, 7, 8, 9, 255, 257, 1_222, 4_099] {
            for width in [37, 1536, 3072] {
                let chunks = TransformerEncoderLayer.feedForwardChunks(rows: rows, intermediateWidth: width)
                #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == rows)
                for (a, b) in zip(chunks, chunks.dropFirst()) {
                    #expect(a.upperBound == b.lowerBound && a.count % 8 == 0 && a.count >= b.count)
                }
                let limit = max(128, (3 << 19) / (width * 4))
                #expect(chunks.allSatisfy { $0.count <= limit + 7 }, "\(rows) rows of \(width)")
            }
        }
    }
}
