import CVectorKernels

/// Multi-head self-attention over a batch of sequences packed row after row, without padding.
///
/// Each sequence attends only to its own rows, so no mask is needed. For every sequence and
/// head, the scores QₕKₕᵀ·scale are computed on that sequence's rows of the head's columns,
/// soft-maxed row by row, and multiplied by Vₕ straight into the head's columns of the output.
/// Sequences longer than ``gemmThreshold`` use zoo's packed linear kernel for the two products
/// (`zoo_attend_long`, as ``LongSequenceAttention``); shorter ones, where packing costs more than
/// it saves, a vectorised loop on transposed scores (`zoo_attend_short`). No OpenBLAS: the same
/// bits on the AVX-512 and AVX2 kernel paths. Sequence–head pairs are spread over
/// ``ComputeThreads/count`` workers.
public struct PackedAttention: Sendable {
    /// The number of heads.
    public let heads: Int
    /// The width of one head; `heads × headWidth` is the model width.
    public let headWidth: Int

    /// Sequences longer than this many tokens use the packed kernel for the two products.
    public let gemmThreshold: Int

    /// Attention with `heads` heads of `headWidth` columns each; sequences longer than
    /// `gemmThreshold` tokens go through the packed kernel.
    public init(heads: Int, headWidth: Int, gemmThreshold: Int = 64) {
        precondition(heads > 0 && headWidth > 0, "attention needs at least one head of positive width")
        self.heads = heads
        self.headWidth = headWidth
        self.gemmThreshold = max(0, gemmThreshold)
    }

    /// The model width, `heads × headWidth`.
    public var width: Int { heads * headWidth }

    /// Computes softmax(QKᵀ/√headWidth)·V per sequence and head.
    ///
    /// - Parameters:
    ///   - query: Row 0 of Q; Q, K and V rows are `stride` elements apart, heads side by side.
    ///   - key: Row 0 of K.
    ///   - value: Row 0 of V.
    ///   - stride: Distance between consecutive rows of Q, K and V (for a fused QKV buffer,
    ///     three times the width).
    ///   - sequences: Each sequence's rows, as consecutive ranges of the packed rows.
    ///   - output: `rows × width` result, leading dimension ``width``; must not overlap the inputs.
    ///   - positionBias: An additive bias on the scores: by relative position (MPNet), a causal
    ///     mask (CLIP's text tower), or nil.
    public func callAsFunction(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, sequences: [Range<Int>], output: UnsafeMutablePointer<Float>,
        positionBias: (any AttentionBias)? = nil
    ) {
        let longest = sequences.map(\.count).max() ?? 0
        guard longest > 0 else { return }
        let items = sequences.count * heads
        // Inside a parallel region (a `DataParallel` share) one worker: one sequence's heads
        // after another. A nested run gave two strided passes, even heads then odd ones, each
        // touching every other pair of lines of every Q/K/V row: attention took 3.2% of
        // `zoo bench encode`'s time that way against 2.7% sequence by sequence.
        let workers = ParallelRows.workers(for: items)
        let scale = 1 / Float(headWidth).squareRoot()
        let rowStride = Self.paddedLength(longest)
        let run = { (worker: Int, workerCount: Int) in
            let scores = CacheLineMemory.floats(
                longest > gemmThreshold ? zoo_attend_long_scratch_count(longest, headWidth) : longest * rowStride)
            defer { scores.deallocate() }
            let keys = CacheLineMemory.floats((headWidth + 1) * Self.paddedLength(min(longest, gemmThreshold)))
            defer { keys.deallocate() }
            let bias = positionBias.map { _ in CacheLineMemory.floats(longest * rowStride) }
            defer { bias?.deallocate() }
            // Heads of one sequence go to different workers, so one long sequence is shared.
            var item = worker
            while item < items {
                let rows = sequences[item / heads]
                let column = (item % heads) * headWidth
                let biasStride = Self.paddedLength(rows.count)
                if let positionBias, let bias, !rows.isEmpty {
                    positionBias.fill(sequence: item / heads, head: item % heads, length: rows.count, stride: biasStride, into: bias)
                }
                let lines = bias.map { UnsafePointer($0) }
                if rows.count > gemmThreshold {
                    attendWithGEMM(
                        query: query, key: key, value: value, stride: stride, rows: rows,
                        column: column, scale: scale, scores: scores, output: output, bias: lines, biasStride: biasStride)
                } else {
                    attendDirectly(
                        query: query, key: key, value: value, stride: stride, rows: rows,
                        column: column, scale: scale, scores: scores, keys: keys, output: output,
                        bias: lines, biasStride: biasStride)
                }
                item += workerCount
            }
        }
        if workers <= 1 {
            run(0, 1)
        } else {
            ParallelRows.run(workers: workers) { run($0, workers) }
        }
    }

    /// `length` rounded up to a multiple of 16, the row padding of the direct kernel.
    private static func paddedLength(_ length: Int) -> Int { (length + 15) & ~15 }

    /// One long sequence and head on the packed kernel; `scores` is its scratch.
    private func attendWithGEMM(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, rows: Range<Int>, column: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Float>?, biasStride: Int
    ) {
        guard !rows.isEmpty else { return }
        let first = rows.lowerBound * stride + column
        zoo_attend_long_biased(
            query + first, key + first, value + first, stride, rows.count, headWidth, scale, scores,
            output + rows.lowerBound * width + column, width, bias, biasStride)
    }

    /// One short sequence and head (the C kernel `zoo_attend_short`): Qₕ·scale is
    /// transposed into `keys` (scratch), so the scores come out transposed, a vector of queries
    /// against eight keys at a time, and the softmax over keys runs lane by lane; output rows
    /// accumulate eight at a time, two vectors of Vₕ's columns per load.
    private func attendDirectly(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, rows: Range<Int>, column: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, keys: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, biasStride: Int
    ) {
        guard !rows.isEmpty else { return }
        let first = rows.lowerBound * stride + column
        zoo_attend_short_biased(
            query + first, key + first, value + first, stride, rows.count, headWidth, scale,
            scores, keys, output + rows.lowerBound * width + column, width, bias, biasStride)
    }
}
