import Foundation

/// Zero-shot classification and retrieval metrics from embeddings, as CLIP_benchmark defines
/// them. Scores are cosine similarities: one GEMM per block of query rows against all candidates,
/// then a top-k per row, so memory stays at `blockRows × candidates` whatever the number of queries.
/// Only the candidates are normalised: a query row's norm scales its whole row of scores and
/// cannot change its ranking, so queries are scored as given.
public enum Scorer {
    /// Query rows scored per GEMM: 1,024 (a block of scores for 1,000 classes then stays in the
    /// cache for the top-k pass), fewer only beyond 65,536 candidates, so a block never exceeds
    /// 64M floats (256 MiB).
    public static func blockRows(candidates: Int) -> Int {
        max(64, min(1024, (64 << 20) / max(candidates, 1)))
    }

    /// The block size for 1,000 candidates (for tests of blocking).
    public static var blockRows: Int { blockRows(candidates: 1000) }

    /// `acc1`, `acc5` (only with at least 5 classes) and `mean_per_class_recall` of images
    /// against class embeddings.
    ///
    /// - Parameters:
    ///   - images: `[N, D]`; rows are normalised here.
    ///   - classes: `[C, D]`; rows are normalised here.
    ///   - labels: The true class of each image, in `0..<C`.
    /// - Throws: ``EvaluationError`` for mismatched widths or counts, or labels out of range.
    public static func classification(images: EmbeddingMatrix, classes: EmbeddingMatrix, labels: [Int]) throws(EvaluationError) -> [String: Double] {
        try classificationResult(images: images, classes: classes, labels: labels).metrics
    }

    /// ``classification(images:classes:labels:)`` with the confusion matrix (row: true class,
    /// column: top-1 prediction) and each class's top-1 recall.
    public static func classificationResult(images: EmbeddingMatrix, classes: EmbeddingMatrix, labels: [Int]) throws(EvaluationError) -> ClassificationResult {
        guard images.width == classes.width else {
            throw EvaluationError("image embeddings are \(images.width) wide but class embeddings \(classes.width); they must come from the same projector")
        }
        guard labels.count == images.rows else { throw EvaluationError("\(labels.count) labels for \(images.rows) images") }
        guard classes.rows > 0, images.rows > 0 else { throw EvaluationError("nothing to score: \(images.rows) images, \(classes.rows) classes") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes.rows }) {
            throw EvaluationError("label \(labels[bad]) of image \(bad) is outside the \(classes.rows) classes")
        }
        let k = min(5, classes.rows)
        var top1 = 0
        var top5 = 0
        var perClassHits = [Int](repeating: 0, count: classes.rows)
        var perClassCount = [Int](repeating: 0, count: classes.rows)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.rows), count: classes.rows)
        try forEachTopK(queries: images, candidates: classes.normalized(), k: k) { row, top in
            let label = labels[row]
            perClassCount[label] += 1
            confusion[label][top[top.startIndex]] += 1
            if top.first == label {
                top1 += 1
                perClassHits[label] += 1
            }
            if top.contains(label) { top5 += 1 }
        }
        var metrics: [String: Double] = ["acc1": Double(top1) / Double(images.rows)]
        if classes.rows >= 5 { metrics["acc5"] = Double(top5) / Double(images.rows) }
        let present = (0..<classes.rows).filter { perClassCount[$0] > 0 }
        metrics["mean_per_class_recall"] = present.map { Double(perClassHits[$0]) / Double(perClassCount[$0]) }.reduce(0, +) / Double(max(present.count, 1))
        let recall = (0..<classes.rows).map { perClassCount[$0] > 0 ? Double(perClassHits[$0]) / Double(perClassCount[$0]) : 0 }
        return ClassificationResult(metrics: metrics, confusion: confusion, perClassRecall: recall)
    }

    /// Image→text and text→image `recall@1/5/10`: `text_retrieval_recall@k` (an image hits when
    /// any of its texts is in its top k) and `image_retrieval_recall@k` (a text hits when its image
    /// is in its top k).
    ///
    /// - Parameter textImage: The image each text belongs to, in `0..<N`.
    public static func retrieval(images: EmbeddingMatrix, texts: EmbeddingMatrix, textImage: [Int]) throws(EvaluationError) -> [String: Double] {
        guard images.width == texts.width else {
            throw EvaluationError("image embeddings are \(images.width) wide but text embeddings \(texts.width); they must come from the same projector")
        }
        guard textImage.count == texts.rows else { throw EvaluationError("\(textImage.count) text_image entries for \(texts.rows) texts") }
        guard images.rows > 0, texts.rows > 0 else { throw EvaluationError("nothing to score: \(images.rows) images, \(texts.rows) texts") }
        if let bad = textImage.firstIndex(where: { $0 < 0 || $0 >= images.rows }) {
            throw EvaluationError("text \(bad) belongs to image \(textImage[bad]), outside the \(images.rows) images")
        }
        let ks = [1, 5, 10]
        var textHits = [Int](repeating: 0, count: ks.count)
        try forEachTopK(queries: texts, candidates: images.normalized(), k: min(10, images.rows)) { row, top in
            for (slot, k) in ks.enumerated() where top.prefix(k).contains(textImage[row]) { textHits[slot] += 1 }
        }
        var imageHits = [Int](repeating: 0, count: ks.count)
        try forEachTopK(queries: images, candidates: texts.normalized(), k: min(10, texts.rows)) { row, top in
            for (slot, k) in ks.enumerated() where top.prefix(k).contains(where: { textImage[$0] == row }) { imageHits[slot] += 1 }
        }
        var metrics: [String: Double] = [:]
        for (slot, k) in ks.enumerated() {
            metrics["image_retrieval_recall@\(k)"] = Double(textHits[slot]) / Double(texts.rows)
            metrics["text_retrieval_recall@\(k)"] = Double(imageHits[slot]) / Double(images.rows)
        }
        return metrics
    }

    /// Calls `body(row, topIndices)` for every query row, in order, scoring blocks of
    /// ``blockRows`` rows with one GEMM each; the top-k of a block's rows are found on all
    /// compute threads.
    static func forEachTopK(queries: EmbeddingMatrix, candidates: EmbeddingMatrix, k: Int, _ body: (Int, ArraySlice<Int>) -> Void) throws(EvaluationError) {
        let width = queries.width
        let count = candidates.rows
        let blockRows = blockRows(candidates: count)
        let capacity = min(blockRows, queries.rows)
        var scores = [Float](repeating: 0, count: capacity * count)
        var tops = [Int](repeating: 0, count: capacity * k)
        for first in stride(from: 0, to: queries.rows, by: blockRows) {
            let rows = min(blockRows, queries.rows - first)
            queries.values.withUnsafeBufferPointer { q in
                candidates.values.withUnsafeBufferPointer { c in
                    scores.withUnsafeMutableBufferPointer { s in
                        BLAS.sgemm(
                            transposeB: true, m: rows, n: count, k: width,
                            a: q.baseAddress! + first * width, lda: width, b: c.baseAddress!, ldb: width,
                            c: s.baseAddress!, ldc: count)
                    }
                }
            }
            scores.withUnsafeBufferPointer { s in
                tops.withUnsafeMutableBufferPointer { t in
                    let (scoreBase, topBase) = (UnsafeSendableBox(s.baseAddress!), UnsafeSendableBox(t.baseAddress!))
                    ParallelRows.forEach(count: rows, costPerRow: count) { range in
                        var top: [Int] = []
                        top.reserveCapacity(k)
                        for row in range {
                            TopK.largest(scoreBase.value + row * count, count: count, k: k, into: &top)
                            for slot in 0..<k { topBase.value[row * k + slot] = top[slot] }
                        }
                    }
                }
            }
            for row in 0..<rows { body(first + row, tops[(row * k)..<(row * k + k)]) }
        }
    }
}

/// Zero-shot classification metrics with their per-class breakdown.
public struct ClassificationResult: Sendable, Equatable {
    /// `acc1`, `acc5` (5 classes or more) and `mean_per_class_recall`.
    public var metrics: [String: Double]
    /// Counts, row = true class, column = top-1 prediction.
    public var confusion: [[Int]]
    /// Top-1 recall of each class (0 for a class without images).
    public var perClassRecall: [Double]
}

