/// The streaming half of concept-coverage curation (the paper's section 2): every pool item is
/// scored against every concept prototype, and only the best ``keep`` items per concept are
/// kept, so memory is `concepts × keep` candidates whatever the size of the pool.
///
/// Feed batches of caption embeddings with ``add(_:items:)``; each batch costs one GEMM of its
/// caption rows against the prototypes. An item may have several captions: its score for a
/// concept is the best of its captions' cosines (the first caption on ties). Candidates rank by
/// score, then by lower item index, so the result does not depend on how the pool is batched.
public struct ConceptSelector: Sendable {
    /// Candidates kept per concept (the paper's 50,000).
    public let keep: Int
    /// The prototypes, `[concepts, width]`, as given (callers normalise them).
    public let prototypes: EmbeddingMatrix
    /// Items scored so far.
    public private(set) var itemsScored = 0
    private var heaps: [BoundedCandidateHeap]

    /// One item of a batch: its rows in the batch's embeddings are consecutive, `captions` of them.
    public struct Item: Sendable {
        /// The item's index in the pool's stable order.
        public var index: Int
        /// The item's id.
        public var id: String
        /// How many consecutive rows (captions) belong to the item; at least 1.
        public var captions: Int

        /// Creates an item.
        public init(index: Int, id: String, captions: Int) {
            self.index = index
            self.id = id
            self.captions = captions
        }
    }

    /// A selector for `prototypes` keeping `keep` candidates per concept.
    ///
    /// - Precondition: `keep >= 1` and at least one prototype.
    public init(prototypes: EmbeddingMatrix, keep: Int) {
        precondition(keep >= 1, "keep must be at least 1")
        precondition(prototypes.rows >= 1, "at least one concept prototype is needed")
        self.keep = keep
        self.prototypes = prototypes
        heaps = Array(repeating: BoundedCandidateHeap(capacity: keep), count: prototypes.rows)
    }

    /// The number of concepts.
    public var conceptCount: Int { prototypes.rows }

    /// Scores a batch: `embeddings` holds the caption rows of `items` in order (callers
    /// normalise them, so that scores are cosines).
    ///
    /// - Throws: ``CurationError`` when the widths differ or the rows do not add up to the items'
    ///   captions.
    public mutating func add(_ embeddings: EmbeddingMatrix, items: [Item]) throws(CurationError) {
        guard embeddings.width == prototypes.width else {
            throw CurationError(.data, "caption embeddings are \(embeddings.width) wide but the concept prototypes \(prototypes.width)")
        }
        var total = 0
        for item in items {
            guard item.captions >= 1 else { throw CurationError(.data, "item '\(item.id)' has no caption rows") }
            total += item.captions
        }
        guard total == embeddings.rows else {
            throw CurationError(.data, "\(embeddings.rows) caption rows for items with \(total) captions")
        }
        guard total > 0 else { return }
        let concepts = prototypes.rows
        let width = prototypes.width
        var scores = [Float](repeating: 0, count: total * concepts)
        embeddings.values.withUnsafeBufferPointer { e in
            prototypes.values.withUnsafeBufferPointer { p in
                scores.withUnsafeMutableBufferPointer { s in
                    BLAS.sgemm(
                        transposeB: true, m: total, n: concepts, k: width,
                        a: e.baseAddress!, lda: width, b: p.baseAddress!, ldb: width,
                        c: s.baseAddress!, ldc: concepts)
                }
            }
        }
        var row = 0
        for item in items {
            for concept in 0..<concepts {
                var best = -Float.infinity
                var bestCaption = -1
                for caption in 0..<item.captions {
                    let score = scores[(row + caption) * concepts + concept]
                    // NaN never compares greater: a caption that embeds to NaN is never chosen.
                    if score > best {
                        best = score
                        bestCaption = caption
                    }
                }
                guard bestCaption >= 0, heaps[concept].admits(score: best, index: item.index) else { continue }
                heaps[concept].offer(CurationCandidate(score: best, index: item.index, id: item.id, caption: bestCaption))
            }
            row += item.captions
        }
        itemsScored += items.count
    }

    /// The candidates kept for `concept`, best first.
    public func candidates(of concept: Int) -> [CurationCandidate] {
        heaps[concept].sorted()
    }

    /// The candidates of every concept, best first.
    public func allCandidates() -> [[CurationCandidate]] {
        heaps.map { $0.sorted() }
    }
}
