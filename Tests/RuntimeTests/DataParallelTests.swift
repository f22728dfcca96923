import Foundation
import Plugins
import Runtime
import Testing

@Suite("Data-parallel encoding")
struct DataParallelTests {
    @Test("split gives contiguous ranges covering every index, balanced by length")
    func split() {
        #expect(DataParallel.split(lengths: [], parts: 2) == [])
        #expect(DataParallel.split(lengths: [5], parts: 2) == [0..<1])
        #expect(DataParallel.split(lengths: [1, 1, 1, 1], parts: 2) == [0..<2, 2..<4])
        #expect(DataParallel.split(lengths: [10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], parts: 2) == [0..<1, 1..<11])
        // The cut falls where the halves differ least: 9 | 11 rather than 19 | 1.
        #expect(DataParallel.split(lengths: [4, 5, 10, 1], parts: 2) == [0..<2, 2..<4])
        #expect(DataParallel.split(lengths: [4, 7, 10, 1], parts: 2) == [0..<2, 2..<4])
        for parts in 1...5 {
            let lengths = (0..<37).map { ($0 * 7919) % 23 + 1 }
            let ranges = DataParallel.split(lengths: lengths, parts: parts)
            #expect(ranges.count == parts)
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == lengths.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound && !a.isEmpty) }
            if parts == 2 {
                // Two halves differ by at most the item at the cut (cutting always on the far
                // side of it could leave up to twice that).
                let sums = ranges.map { lengths[$0].reduce(0, +) }
                #expect(abs(sums[0] - sums[1]) <= lengths[ranges[1].lowerBound - 1...ranges[1].lowerBound].max()!, "\(sums)")
            }
        }
    }

    @Test("a batch split across threads gives the same outputs as one pass")
    func sameOutputs() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/tiny-bert")
        let encoder = try NativeSentenceEncoder(folder: folder)
        let texts = CaptionGenerator.captions(count: 40)
        let ids = texts.map(encoder.tokenize)
        let whole = try encoder.model.encode(ids: ids)
        let before = ComputeThreads.count
        ComputeThreads.set(2)
        defer { ComputeThreads.set(before) }
        let split = try encoder.encode(ids: ids)
        #expect(split.lengths == whole.lengths)
        #expect(split.tokens.shape == whole.tokens.shape)
        #expect(split.mask == whole.mask)
        // Bit for bit, on every kernel path: no value depends on the rows beside it.
        #expect(split.tokens.scalars.map(\.bitPattern) == whole.tokens.scalars.map(\.bitPattern), "lanes \(KernelPath.lanes)")
        #expect(split.pooled.scalars.map(\.bitPattern) == whole.pooled.scalars.map(\.bitPattern), "lanes \(KernelPath.lanes)")
        // Pooled embeddings alone (no token states assembled), split and in one pass.
        let pooledOnly = try encoder.pooledEmbeddings(ids: ids)
        #expect(pooledOnly.shape == whole.pooled.shape)
        #expect(zip(pooledOnly.scalars, split.pooled.scalars).allSatisfy { $0 == $1 })
        ComputeThreads.set(1)
        #expect(try encoder.pooledEmbeddings(ids: ids).scalars == whole.pooled.scalars)
    }
    @Test("batches queued together give what each batch gives on its own")
    func queuedBatches() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/tiny-bert")
        let encoder = try NativeSentenceEncoder(folder: folder)
        // 16, 16 and 9 sequences: two batches split over the threads, a last one too small to split.
        let ids = CaptionGenerator.captions(count: 41).map(encoder.tokenize)
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            let queued = try encoder.pooledEmbeddings(ids: ids, batchSize: 16)
            #expect(queued.shape == [41, encoder.width])
            var batchwise: [Float] = []
            for start in stride(from: 0, to: ids.count, by: 16) {
                batchwise += try encoder.pooledEmbeddings(ids: Array(ids[start..<min(start + 16, ids.count)])).scalars
            }
            // Identical, the last batch too (it runs on one thread in the queue and split over the
            // threads alone): every linear layer is zoo's packed kernel, on every path.
            #expect(queued.scalars.map(\.bitPattern) == batchwise.map(\.bitPattern), "threads \(threads), lanes \(KernelPath.lanes)")
        }
        // The protocol's own version, batch by batch, for encoders without a queue of their own.
        ComputeThreads.set(2)
        let generic = try BatchwiseEncoder(inner: encoder).pooledEmbeddings(ids: ids, batchSize: 16)
        let queued = try encoder.pooledEmbeddings(ids: ids, batchSize: 16)
        #expect(generic.shape == [41, encoder.width])
        #expect(generic.scalars.map(\.bitPattern) == queued.scalars.map(\.bitPattern))
        #expect(try encoder.pooledEmbeddings(ids: [], batchSize: 16).shape == [0, encoder.width])
    }
}

/// Forwards to a native encoder's `encode(ids:)` only, so the protocol's default
/// `pooledEmbeddings` implementations run.
private struct BatchwiseEncoder: TextEncoder {
    let inner: NativeSentenceEncoder
    var width: Int { inner.width }
    var maxLength: Int { inner.maxLength }
    func tokenize(_ text: String) -> [Int32] { inner.tokenize(text) }
    func encode(ids: [[Int32]]) throws -> TextEncoding { try inner.encode(ids: ids) }
}
