import Foundation

/// An additive attention bias that depends only on a key's position relative to its query, one
/// value per head from a table of buckets: MPNet's (transformers' `MPNetEncoder.compute_position_bias`).
///
/// Relative position r = key − query falls in one of `buckets` buckets: half of them for r > 0
/// (keys after the query), half for r ≤ 0; within each half, distances below a quarter of the
/// buckets get one bucket each and longer ones share buckets spaced logarithmically up to
/// `maxDistance`, past which all distances share the last.
public struct RelativePositionBias: Sendable {
    /// The heads the table holds values for.
    public let heads: Int
    /// The number of buckets.
    public let buckets: Int
    /// The distance from which all distances share a bucket.
    public let maxDistance: Int
    /// `[buckets, heads]`, row-major, as the checkpoint stores `relative_attention_bias.weight`.
    private let table: [Float]

    /// A bias from `table` (`[buckets, heads]`).
    public init(table: [Float], buckets: Int, heads: Int, maxDistance: Int = 128) {
        precondition(buckets >= 4 && heads > 0 && table.count == buckets * heads, "relative position table must be [buckets, heads]")
        self.table = table
        self.buckets = buckets
        self.heads = heads
        self.maxDistance = maxDistance
    }

    /// The bucket of relative position `relative` (key − query), computed in single precision as
    /// transformers computes it.
    public func bucket(_ relative: Int) -> Int {
        var n = -relative
        let half = buckets / 2
        var result = 0
        if n < 0 { result += half }
        n = abs(n)
        let exact = half / 2
        if n < exact { return result + n }
        let ratio = logf(Float(n) / Float(exact)) / Float(log(Double(maxDistance) / Double(exact)))
        let large = exact + Int(ratio * Float(half - exact))
        return result + min(large, half - 1)
    }

    /// The bias of `head` for a sequence of `length` tokens, laid out as the attention kernels
    /// read it: `lines[j * stride + i]` is query i's bias for key j; entries past `length` in a
    /// line are zero. `stride` ≥ `length`.
    public func fill(head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>) {
        // One value per relative position −(length−1) … length−1.
        let values = (0..<(2 * length - 1)).map { table[bucket($0 - (length - 1)) * heads + head] }
        for j in 0..<length {
            let line = lines + j * stride
            // r = j − i, so i = 0 … length−1 reads values[j − i + length − 1], a reversed run.
            for i in 0..<length { line[i] = values[j - i + length - 1] }
            for i in length..<stride { line[i] = 0 }
        }
    }
}
