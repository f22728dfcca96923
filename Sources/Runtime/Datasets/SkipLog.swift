/// The skips of an iterator: how many, and the first ``keptReasons`` messages.
struct SkipLog {
    /// How many messages are kept.
    static let keptReasons = 100

    private(set) var count = 0
    private(set) var reasons: [String] = []

    /// Records one skip.
    mutating func record(_ error: DatasetError) {
        count += 1
        if reasons.count < Self.keptReasons { reasons.append(error.message) }
    }
}
