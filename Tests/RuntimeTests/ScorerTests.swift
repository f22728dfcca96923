import Testing
@testable import Runtime
@testable import ZooEvaluation

@Suite("Scorer")
struct ScorerTests {
    @Test("top-k keeps the largest values, largest first, ties to the lower index")
    func topK() {
        let row: [Float] = [0.1, 0.9, 0.5, 0.9, -1, 0.7]
        var indices: [Int] = []
        row.withUnsafeBufferPointer { TopK.largest($0.baseAddress!, count: row.count, k: 3, into: &indices) }
        #expect(indices == [1, 3, 5])
        row.withUnsafeBufferPointer { TopK.largest($0.baseAddress!, count: row.count, k: 10, into: &indices) }
        #expect(indices == [1, 3, 5, 2, 0, 4])
    }

    @Test("classification: acc5 only with 5 classes or more; blocks give the same result as one pass")
    func classificationBlocks() throws {
        var random = ProjectorRandom(seed: 4)
        let classes = EmbeddingMatrix(values: (0..<(3 * 4)).map { _ in random.uniform(bound: 1) }, rows: 3, width: 4)
        let count = Scorer.blockRows * 2 + 17
        var labels: [Int] = []
        var values: [Float] = []
        for row in 0..<count {
            let label = row % 3
            labels.append(label)
            for column in 0..<4 { values.append(classes.values[label * 4 + column] + random.uniform(bound: 0.8)) }
        }
        let metrics = try Scorer.classification(images: EmbeddingMatrix(values: values, rows: count, width: 4), classes: classes, labels: labels)
        #expect(metrics["acc5"] == nil)
        let acc1 = try #require(metrics["acc1"])
        // Recount directly.
        var hits = 0
        let normalizedImages = EmbeddingMatrix(values: values, rows: count, width: 4).normalized()
        let normalizedClasses = classes.normalized()
        for row in 0..<count {
            var best = -Float.infinity
            var bestClass = -1
            for cls in 0..<3 {
                var dot: Float = 0
                for column in 0..<4 { dot += normalizedImages.values[row * 4 + column] * normalizedClasses.values[cls * 4 + column] }
                if dot > best { best = dot; bestClass = cls }
            }
            if bestClass == labels[row] { hits += 1 }
        }
        #expect(abs(acc1 - Double(hits) / Double(count)) < 1e-12)
    }

    @Test("class embeddings are the renormalised mean of normalised prompts")
    func classEmbeddings() {
        let prompts = EmbeddingMatrix(values: [2, 0, 0, 3, 0, -1, 0, -5], rows: 4, width: 2)
        let classes = prompts.classEmbeddings(promptsPerClass: 2)
        let half = Float(0.5).squareRoot()
        #expect(classes.rows == 2)
        #expect(abs(classes.values[0] - half) < 1e-6 && abs(classes.values[1] - half) < 1e-6)
        #expect(abs(classes.values[2]) < 1e-6 && abs(classes.values[3] + 1) < 1e-6)
    }

    @Test("errors name what is wrong")
    func errors() {
        let a = EmbeddingMatrix(values: [1, 0], rows: 1, width: 2)
        let b = EmbeddingMatrix(values: [1, 0, 0], rows: 1, width: 3)
        #expect(throws: EvaluationError.self) { try Scorer.classification(images: a, classes: b, labels: [0]) }
        #expect(throws: EvaluationError.self) { try Scorer.classification(images: a, classes: a, labels: [3]) }
        #expect(throws: EvaluationError.self) { try Scorer.retrieval(images: a, texts: a, textImage: [1]) }
    }
}
