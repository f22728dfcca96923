/// The assignment half of concept-coverage curation: concepts visited rarest first, each taking
/// up to ``perConcept`` of its best candidates that no earlier concept took.
///
/// Rarity: a concept is rarer when its ``ConceptSelector/keep``-th best score is lower (few
/// captions resemble it). A concept with fewer than `keep` candidates (the pool has fewer
/// captioned items than `keep`) counts as rarer than every concept with `keep`; among such
/// concepts fewer candidates come first, then a lower worst-candidate score. Remaining ties go
/// in concept order (the concepts file's order).
public struct ConceptAssignment: Sendable {
    /// What happened to one concept.
    public struct Summary: Sendable, Equatable {
        /// The concept's position in the concept list.
        public var concept: Int
        /// Candidates kept while streaming (at most `keep`).
        public var candidates: Int
        /// The `keep`-th best score, or nil when fewer than `keep` candidates were kept.
        public var threshold: Float?
        /// Items taken.
        public var taken: Int
    }

    /// One selected item.
    public struct Selection: Sendable, Equatable {
        /// The concept that took it.
        public var concept: Int
        /// The item, with its score for that concept.
        public var candidate: CurationCandidate
    }

    /// Concepts in visit order (rarest first).
    public let order: [Int]
    /// Per concept, in concept order.
    public let summaries: [Summary]
    /// The selected items in visit order, each concept's best first; every item at most once.
    public let selections: [Selection]

    /// Assigns items to concepts.
    ///
    /// - Parameters:
    ///   - candidates: Per concept, its kept candidates best first (``ConceptSelector/allCandidates()``).
    ///   - keep: The `keep` the candidates were selected with.
    ///   - perConcept: Items each concept takes at most (the paper's 2,000).
    public init(candidates: [[CurationCandidate]], keep: Int, perConcept: Int) {
        precondition(keep >= 1 && perConcept >= 1, "keep and perConcept must be at least 1")
        func key(_ concept: Int) -> (full: Int, count: Int, score: Float) {
            let list = candidates[concept]
            let full = list.count >= keep
            // The keep-th best (the last kept when full), else the worst kept; -inf for none.
            let score = full ? list[keep - 1].score : (list.last?.score ?? -.infinity)
            return (full ? 1 : 0, full ? keep : list.count, score)
        }
        let keys = candidates.indices.map(key)
        order = candidates.indices.sorted { a, b in
            let (ka, kb) = (keys[a], keys[b])
            if ka.full != kb.full { return ka.full < kb.full }
            if ka.count != kb.count { return ka.count < kb.count }
            if ka.score != kb.score { return ka.score < kb.score }
            return a < b
        }
        var taken = Set<Int>()
        var counts = [Int](repeating: 0, count: candidates.count)
        var selections: [Selection] = []
        for concept in order {
            for candidate in candidates[concept] {
                guard counts[concept] < perConcept else { break }
                guard taken.insert(candidate.index).inserted else { continue }
                counts[concept] += 1
                selections.append(Selection(concept: concept, candidate: candidate))
            }
        }
        summaries = candidates.indices.map { concept in
            let list = candidates[concept]
            return Summary(
                concept: concept, candidates: list.count,
                threshold: list.count >= keep ? list[keep - 1].score : nil, taken: counts[concept])
        }
        self.selections = selections
    }
}
