import Foundation
import Testing

import Runtime

/// Batches are right-padded with the pad id, with a mask and the lengths.
@Suite("Token batches")
struct TokenBatchTests {
    @Test("Rows are padded to the longest with the pad id, mask 1 on tokens", arguments: ["tiny-bert", "tiny-roberta"])
    func padding(model: String) throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model(model))
        let texts = ["A dog.", "", "Several commuters wait under umbrellas at a crowded bus stop.", "x"]
        let batch = tokenizer.encodeBatch(texts)
        let sequences = texts.map { tokenizer.encode($0) }
        #expect(batch.count == 4)
        #expect(batch.length == sequences.map(\.count).max())
        #expect(batch.lengths == sequences.map(\.count))
        #expect(batch.ids.count == 4 * batch.length)
        #expect(batch.attentionMask.count == 4 * batch.length)
        for (row, sequence) in sequences.enumerated() {
            let ids = Array(batch.ids(row: row))
            let mask = Array(batch.attentionMask(row: row))
            #expect(Array(ids.prefix(sequence.count)) == sequence)
            #expect(ids.dropFirst(sequence.count).allSatisfy { $0 == tokenizer.padId })
            #expect(mask == Array(repeating: 1, count: sequence.count) + Array(repeating: 0, count: batch.length - sequence.count))
        }
    }

    @Test("Batches truncate like encode")
    func truncated() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-bert"), maxLength: 8)
        let long = String(repeating: "horse ", count: 50)
        let batch = tokenizer.encodeBatch([long, "a"])
        #expect(batch.length == 8)
        #expect(batch.lengths == [8, 3])
        #expect(Array(batch.ids(row: 0)) == tokenizer.encode(long))
    }

    @Test("An empty batch")
    func empty() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-bert"))
        let batch = tokenizer.encodeBatch([])
        #expect(batch.count == 0)
        #expect(batch.length == 0)
        #expect(batch.ids.isEmpty && batch.attentionMask.isEmpty && batch.lengths.isEmpty)
    }

    @Test("Encoding from many threads at once gives the same ids", arguments: ["tiny-bert", "tiny-roberta"])
    func concurrent(model: String) throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model(model))
        let sentences = try TokenizerFixtures.sentences()
        let expected = sentences.map { tokenizer.encodeWithoutTruncation($0) }
        let results = ResultBox(count: sentences.count * 8)
        DispatchQueue.concurrentPerform(iterations: sentences.count * 8) { index in
            results.set(index, tokenizer.encodeWithoutTruncation(sentences[index % sentences.count]))
        }
        for index in 0..<sentences.count * 8 {
            #expect(results.get(index) == expected[index % sentences.count])
        }
    }
}

/// A lock-protected array of results written from several threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[Int32]]

    init(count: Int) {
        values = Array(repeating: [], count: count)
    }

    func set(_ index: Int, _ value: [Int32]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }

    func get(_ index: Int) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return values[index]
    }
}
