import Foundation
import Registry
import Runtime
import Testing
import ZooKit

/// `BatchEncoding` and `ImagePreprocessing` called in-process: the rows `zoo encode` and
/// `zoo preprocess` print come from here.
@Suite("ZooKit encoding use-cases, called directly")
struct InferenceUseCaseTests {
    static let vision = ZooRunner.fixtures.appendingPathComponent("vision")
    static let images = ["china.jpg", "coffee.webp", "flower_exif6.jpg"].map { vision.appendingPathComponent("images/\($0)") }

    private static func zoo(_ scratch: URL) throws -> ModelZoo {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return try ModelZoo(home: ZooHome(url: scratch.appendingPathComponent("home")))
    }

    @Test("texts: batches of 1, 2 and 5 give the same rows, ids and token lengths, in input order")
    func textsInBatches() throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-encode-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let zoo = try Self.zoo(scratch)
        _ = try EncoderRegistration.add(
            EncoderRegistration.Request(name: "tb", folder: ZooRunner.fixtures.appendingPathComponent("models/tiny-bert")), zoo: zoo)
        let (_, encoder) = try EncoderLoading.textEncoder("tb", zoo: zoo)
        let items = ["a", "a photo of a dog", "two cats on a sofa", "", "the end"].enumerated().map {
            TextItem(id: "t\($0.offset)", text: $0.element)
        }
        var runs: [[EncodedRows]] = []
        for batch in [1, 2, 5] {
            var collected: [EncodedRows] = []
            try BatchEncoding.texts(items, encoder: encoder, batch: batch, withTokens: true) { collected.append($0) }
            #expect(collected.count == (items.count + batch - 1) / batch)
            runs.append(collected)
        }
        func flatten(_ rows: [EncodedRows]) -> (ids: [String], embeddings: [[Float]], tokens: [[Float]], lengths: [Int]) {
            var result: ([String], [[Float]], [[Float]], [Int]) = ([], [], [], [])
            for batch in rows {
                for row in 0..<batch.count {
                    result.0.append(batch.ids[row])
                    result.1.append(Array(batch.embedding(row)))
                    result.2.append(Array(batch.tokenStates(row)))
                    result.3.append(batch.lengths[row])
                }
            }
            return result
        }
        let one = flatten(runs[0])
        #expect(one.ids == items.map(\.id))
        #expect(one.lengths == items.map { encoder.tokenize($0.text).count })
        for (row, states) in one.tokens.enumerated() { #expect(states.count == one.lengths[row] * encoder.width) }
        let reference = try encoder.encode(items.map(\.text))
        for run in runs.dropFirst() {
            let other = flatten(run)
            #expect(other.ids == one.ids && other.lengths == one.lengths)
            for row in items.indices {
                let maxDifference = zip(other.embeddings[row], one.embeddings[row]).map { abs($0 - $1) }.max() ?? 0
                #expect(maxDifference < 1e-5, "row \(row)")
            }
        }
        let pooled = reference.pooled.scalars
        for row in items.indices {
            let expected = Array(pooled[row * encoder.width..<(row + 1) * encoder.width])
            #expect(zip(expected, one.embeddings[row]).allSatisfy { abs($0 - $1) < 1e-5 })
        }

        var withoutTokens: [EncodedRows] = []
        try BatchEncoding.texts(items, encoder: encoder, batch: 4, withTokens: false) { withoutTokens.append($0) }
        #expect(withoutTokens.allSatisfy { $0.tokens == nil } && withoutTokens[0].tokenStates(0).isEmpty)
    }

    @Test("images: a bad file stops with 65 naming it, or is skipped with skipBad; preprocess matches encode's input")
    func imagesAndPreprocessing() throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-encode-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let zoo = try Self.zoo(scratch)
        _ = try EncoderRegistration.add(
            EncoderRegistration.Request(name: "dino", folder: Self.vision.appendingPathComponent("models/dinov2-tiny")), zoo: zoo)
        let (_, encoder, maybePreprocessor) = try EncoderLoading.visionEncoder("dino", zoo: zoo)
        let preprocessor = try #require(maybePreprocessor)
        let truncated = scratch.appendingPathComponent("truncated.jpg")
        try Data(try Data(contentsOf: Self.images[0]).prefix(500)).write(to: truncated)
        let urls = [Self.images[0], truncated, Self.images[1], Self.images[2]]

        let error = #expect(throws: ZooError.self) {
            try BatchEncoding.images(urls, encoder: encoder, preprocessor: preprocessor, batch: 2, withTokens: false, skipBad: false) { _ in }
        }
        #expect(error?.kind == .data && error?.message.contains("truncated.jpg") == true)

        var reported: [String] = []
        var rows: [EncodedRows] = []
        let skipped = try BatchEncoding.images(
            urls, encoder: encoder, preprocessor: preprocessor, batch: 2, withTokens: true, skipBad: true,
            skipped: { reported.append($0.url.lastPathComponent) }
        ) { rows.append($0) }
        #expect(skipped == [truncated.path] && reported == ["truncated.jpg"])
        #expect(rows.flatMap(\.ids) == [Self.images[0].path, Self.images[1].path, Self.images[2].path])
        let tokenCount = try #require(rows.first?.lengths.first)
        #expect(rows.allSatisfy { $0.lengths.allSatisfy { $0 == tokenCount } && $0.tokens?.shape[1] == tokenCount })

        let preprocessed = try ImagePreprocessing.run(urls, preprocessor: preprocessor, skipBad: true)
        #expect(preprocessed.ids == rows.flatMap(\.ids) && preprocessed.skipped == [truncated.path])
        #expect(preprocessed.pixels.shape[0] == 3 && preprocessed.pixels.shape[1] == 3)
        var fromPixels: [EncodedRows] = []
        try BatchEncoding.pixels(preprocessed.pixels, encoder: encoder, batch: 2, withTokens: false) { fromPixels.append($0) }
        #expect(fromPixels.flatMap(\.ids) == ["1", "2", "3"])
        let direct = rows.flatMap { batch in (0..<batch.count).map { Array(batch.embedding($0)) } }
        let viaPixels = fromPixels.flatMap { batch in (0..<batch.count).map { Array(batch.embedding($0)) } }
        #expect(direct == viaPixels)

        let none = try ImagePreprocessing.run([truncated], preprocessor: preprocessor, skipBad: true)
        #expect(none.pixels.shape == [0, 3, 0, 0] && none.ids.isEmpty && none.skipped == [truncated.path])
    }
}
