/// One pool item kept for a concept: its best caption's cosine to the concept's prototype.
public struct CurationCandidate: Sendable, Equatable {
    /// The cosine of the item's best caption to the prototype.
    public var score: Float
    /// The item's index in the pool's stable order (``DatasetItem/index``).
    public var index: Int
    /// The item's id.
    public var id: String
    /// Which of the item's captions scored best (the first on ties).
    public var caption: Int

    /// Creates a candidate.
    public init(score: Float, index: Int, id: String, caption: Int) {
        self.score = score
        self.index = index
        self.id = id
        self.caption = caption
    }

    /// The ranking of candidates: a higher score first; on equal scores the lower item index.
    public func ranksAbove(_ other: CurationCandidate) -> Bool {
        score > other.score || (score == other.score && index < other.index)
    }
}

/// The best `capacity` candidates seen so far: a binary heap with the worst kept one at the
/// root, so a new candidate is compared with it once and rejected in O(1) when it is no better.
struct BoundedCandidateHeap: Sendable {
    let capacity: Int
    private(set) var elements: [CurationCandidate] = []

    init(capacity: Int) {
        precondition(capacity >= 1, "capacity must be at least 1")
        self.capacity = capacity
    }

    var count: Int { elements.count }

    /// Whether a candidate with `score` and `index` would be kept.
    func admits(score: Float, index: Int) -> Bool {
        guard elements.count == capacity else { return true }
        let worst = elements[0]
        return score > worst.score || (score == worst.score && index < worst.index)
    }

    /// Keeps `candidate` when it is among the best `capacity` so far.
    mutating func offer(_ candidate: CurationCandidate) {
        if elements.count < capacity {
            elements.append(candidate)
            siftUp(elements.count - 1)
        } else if candidate.ranksAbove(elements[0]) {
            elements[0] = candidate
            siftDown(0)
        }
    }

    /// The kept candidates, best first.
    func sorted() -> [CurationCandidate] {
        elements.sorted { $0.ranksAbove($1) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            // The root holds the worst: a parent must rank above none of its children.
            guard elements[parent].ranksAbove(elements[child]) else { return }
            elements.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = elements.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var worst = left
            let right = left + 1
            if right < count && elements[left].ranksAbove(elements[right]) { worst = right }
            guard elements[parent].ranksAbove(elements[worst]) else { return }
            elements.swapAt(parent, worst)
            parent = worst
        }
    }
}
