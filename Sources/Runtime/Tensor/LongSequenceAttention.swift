import CVectorKernels

/// Multi-head self-attention over a batch of equally long sequences packed row after row, for
/// long sequences such as a vision transformer's tokens (hundreds per image).
///
/// For each sequence and head (`zoo_attend_long`, on zoo's packed linear kernel): the scores
/// QₕKₕᵀ·scale are one product with Kₕ packed as the weight, each score row is exponentiated
/// after subtracting its maximum while its sum is accumulated, the unnormalised weights multiply
/// Vₕ (packed transposed) in a second product, and the `headWidth` output columns are divided by
/// the row sums. Deferring the normalisation saves a pass over the `length × length` scores.
/// Scores are kept in base-2 units (the queries carry log₂e) so the exponential is a plain `2^x`.
/// No OpenBLAS: the same bits on the AVX-512 and AVX2 kernel paths, whatever the batch.
///
/// Sequence–head pairs are spread over ``ComputeThreads/count`` workers; inside a region that
/// already runs on several threads (``ComputeThreads/isInsideParallelRegion``) they run on the
/// calling thread. For short or ragged sequences use ``PackedAttention``.
public struct LongSequenceAttention: Sendable {
    /// The number of heads.
    public let heads: Int
    /// The width of one head; `heads × headWidth` is the model width.
    public let headWidth: Int

    /// Attention with `heads` heads of `headWidth` columns each.
    public init(heads: Int, headWidth: Int) {
        precondition(heads > 0 && headWidth > 0, "attention needs at least one head of positive width")
        self.heads = heads
        self.headWidth = headWidth
    }

    /// The model width, `heads × headWidth`.
    public var width: Int { heads * headWidth }

    /// Computes softmax(QKᵀ/√headWidth)·V for each of `sequences` sequences of `length` rows and
    /// each head.
    ///
    /// - Parameters:
    ///   - query: Row 0 of Q; Q, K and V rows are `stride` elements apart, heads side by side.
    ///   - key: Row 0 of K.
    ///   - value: Row 0 of V.
    ///   - stride: Distance between consecutive rows of Q, K and V (for a fused QKV buffer,
    ///     three times the width).
    ///   - sequences: How many sequences; sequence `s` occupies rows `s·length ..< (s+1)·length`.
    ///   - length: Rows per sequence.
    ///   - output: `sequences · length × width` result, leading dimension ``width``; must not
    ///     overlap the inputs.
    public func callAsFunction(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, sequences: Int, length: Int, output: UnsafeMutablePointer<Float>
    ) {
        guard sequences > 0, length > 0 else { return }
        let items = sequences * heads
        // Inside another parallel region (a batch already split across threads) run inline.
        let workers = ParallelRows.workers(for: items)
        let scale = 1 / Float(headWidth).squareRoot()
        let run = { (worker: Int, workerCount: Int) in
            let scratch = CacheLineMemory.floats(zoo_attend_long_scratch_count(length, headWidth))
            defer { scratch.deallocate() }
            var item = worker
            while item < items {
                let first = (item / heads) * length
                let column = (item % heads) * headWidth
                let offset = first * stride + column
                zoo_attend_long(
                    query + offset, key + offset, value + offset, stride, length, headWidth, scale, scratch,
                    output + first * width + column, width)
                item += workerCount
            }
        }
        if workers <= 1 {
            run(0, 1)
        } else {
            ParallelRows.run(workers: workers) { run($0, workers) }
        }
    }
}
