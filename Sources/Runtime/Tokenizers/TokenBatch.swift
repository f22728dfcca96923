/// Token ids of several texts, right-padded to the longest one, ready for an encoder.
public struct TokenBatch: Sendable, Equatable {
    /// Number of sequences (rows).
    public let count: Int
    /// Padded length of every row: the longest sequence's length.
    public let length: Int
    /// Ids, `count` rows of `length` each, row-major; padding positions hold the pad id.
    public let ids: [Int32]
    /// 1 where `ids` holds a token, 0 at padding, same layout as `ids`.
    public let attentionMask: [Int32]
    /// Number of real tokens in each row.
    public let lengths: [Int]

    /// Pads `sequences` on the right with `padId` to the longest one.
    public init(sequences: [[Int32]], padId: Int32) {
        let length = sequences.map(\.count).max() ?? 0
        var ids = [Int32](repeating: padId, count: sequences.count * length)
        var mask = [Int32](repeating: 0, count: sequences.count * length)
        for (row, sequence) in sequences.enumerated() {
            let base = row * length
            for (column, id) in sequence.enumerated() {
                ids[base + column] = id
                mask[base + column] = 1
            }
        }
        self.count = sequences.count
        self.length = length
        self.ids = ids
        self.attentionMask = mask
        self.lengths = sequences.map(\.count)
    }

    /// The padded ids of row `row`.
    public func ids(row: Int) -> ArraySlice<Int32> {
        ids[row * length..<(row + 1) * length]
    }

    /// The attention mask of row `row`.
    public func attentionMask(row: Int) -> ArraySlice<Int32> {
        attentionMask[row * length..<(row + 1) * length]
    }
}
