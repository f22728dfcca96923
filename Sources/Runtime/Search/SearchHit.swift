/// One result of an exact search: a row of the index and its inner product with the query.
public struct SearchHit: Sendable, Equatable {
    /// The row in the index.
    public var row: Int
    /// The inner product (the cosine, for normalised vectors).
    public var score: Float

    /// A hit.
    public init(row: Int, score: Float) {
        self.row = row
        self.score = score
    }
}

/// The best `k` hits seen so far for one query, best first: higher score, then lower row.
struct TopK {
    let k: Int
    private(set) var hits: [SearchHit] = []

    init(k: Int) {
        self.k = k
        hits.reserveCapacity(k + 1)
    }

    /// Scores at or below this cannot enter (rows arrive in increasing order within a scan, so
    /// an equal score loses to the row already kept); -∞ until `k` hits are held.
    var threshold: Float { hits.count < k ? -.infinity : hits[hits.count - 1].score }

    /// Inserts a hit that beats ``threshold``.
    mutating func insert(row: Int, score: Float) {
        var position = hits.count
        while position > 0, Self.precedes(SearchHit(row: row, score: score), hits[position - 1]) { position -= 1 }
        guard position < k else { return }
        hits.insert(SearchHit(row: row, score: score), at: position)
        if hits.count > k { hits.removeLast() }
    }

    /// Whether `a` ranks before `b`.
    static func precedes(_ a: SearchHit, _ b: SearchHit) -> Bool {
        a.score != b.score ? a.score > b.score : a.row < b.row
    }

    /// The best `k` of several partial lists.
    static func merge(_ lists: [[SearchHit]], k: Int) -> [SearchHit] {
        Array(lists.joined().sorted(by: precedes).prefix(k))
    }
}
