/// Multi-head self-attention over a batch of sequences packed row after row, without padding.
///
/// Each sequence attends only to its own rows, so no mask is needed. For every sequence and
/// head, the scores QₕKₕᵀ·scale are computed on that sequence's rows of the head's columns,
/// soft-maxed row by row, and multiplied by Vₕ straight into the head's columns of the output.
/// Sequences longer than ``gemmThreshold`` use two `sgemm` calls for the products; shorter ones,
/// where a BLAS call's fixed cost outweighs its work, use a vectorised loop. Sequence–head pairs
/// are spread over ``ComputeThreads/count`` workers, with OpenBLAS held to one thread meanwhile.
public struct PackedAttention: Sendable {
    /// The number of heads.
    public let heads: Int
    /// The width of one head; `heads × headWidth` is the model width.
    public let headWidth: Int

    /// Sequences longer than this many tokens use `sgemm` for the two products.
    public let gemmThreshold: Int

    /// Attention with `heads` heads of `headWidth` columns each; sequences longer than
    /// `gemmThreshold` tokens go through `sgemm`.
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
    public func callAsFunction(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, sequences: [Range<Int>], output: UnsafeMutablePointer<Float>
    ) {
        let longest = sequences.map(\.count).max() ?? 0
        guard longest > 0 else { return }
        let items = sequences.count * heads
        let workers = min(ComputeThreads.count, items)
        let scale = 1 / Float(headWidth).squareRoot()
        let rowStride = Self.paddedLength(longest)
        let run = { (worker: Int, workerCount: Int) in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest * rowStride)
            defer { scores.deallocate() }
            let keys = UnsafeMutablePointer<Float>.allocate(
                capacity: headWidth * Self.paddedLength(min(longest, gemmThreshold)))
            defer { keys.deallocate() }
            // Heads of one sequence go to different workers, so one long sequence is shared.
            var item = worker
            while item < items {
                let rows = sequences[item / heads]
                let column = (item % heads) * headWidth
                if rows.count > gemmThreshold {
                    attendWithGEMM(
                        query: query, key: key, value: value, stride: stride, rows: rows,
                        column: column, scale: scale, scores: scores, output: output)
                } else {
                    attendDirectly(
                        query: query, key: key, value: value, stride: stride, rows: rows,
                        column: column, scale: scale, scores: scores, keys: keys, output: output)
                }
                item += workerCount
            }
        }
        if workers <= 1 {
            run(0, 1)
        } else if longest <= gemmThreshold {
            ParallelRows.run(workers: workers) { run($0, workers) }
        } else {
            ComputeThreads.withSingleThreadedBLAS {
                ParallelRows.run(workers: workers) { run($0, workers) }
            }
        }
    }

    /// `length` rounded up to a multiple of 8, the SIMD width of the direct kernel.
    private static func paddedLength(_ length: Int) -> Int { (length + 7) & ~7 }

    private func attendWithGEMM(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, rows: Range<Int>, column: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let length = rows.count
        guard length > 0 else { return }
        let first = rows.lowerBound * stride + column
        BLAS.sgemm(
            transposeB: true, m: length, n: length, k: headWidth, alpha: scale,
            a: query + first, lda: stride, b: key + first, ldb: stride,
            c: scores, ldc: length)
        TensorKernels.softmaxRows(scores, rows: length, columns: length, stride: length)
        BLAS.sgemm(
            m: length, n: headWidth, k: length,
            a: scores, lda: length, b: value + first, ldb: stride,
            c: output + rows.lowerBound * width + column, ldc: width)
    }

    /// One sequence and head without BLAS. Kₕ is transposed into `keys` so that scores
    /// accumulate eight keys at a time; output rows accumulate eight columns of Vₕ at a time.
    /// Four query rows share each load, which keeps eight independent sums in flight.
    private func attendDirectly(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        stride: Int, rows: Range<Int>, column: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, keys: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let length = rows.count
        guard length > 0 else { return }
        let padded = Self.paddedLength(length)
        let first = rows.lowerBound * stride + column
        // keys[d · padded + j] = K[j, d], zero past the last key.
        for d in 0..<headWidth {
            let line = keys + d * padded
            for j in 0..<length { line[j] = key[first + j * stride + d] }
            for j in length..<padded { line[j] = 0 }
        }
        let queries = query + first
        var i = 0
        while i < length {
            // Rows past the end repeat the last row; their results are not stored.
            let q0 = queries + i * stride
            let q1 = queries + min(i + 1, length - 1) * stride
            let q2 = queries + min(i + 2, length - 1) * stride
            let q3 = queries + min(i + 3, length - 1) * stride
            var block = 0
            while block < padded {
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                var column = keys + block
                for d in 0..<headWidth {
                    let k = SIMD8Memory.load(column)
                    s0 += SIMD8(repeating: q0[d]) * k
                    s1 += SIMD8(repeating: q1[d]) * k
                    s2 += SIMD8(repeating: q2[d]) * k
                    s3 += SIMD8(repeating: q3[d]) * k
                    column += padded
                }
                let line = scores + i * padded + block
                SIMD8Memory.store(s0 * scale, to: line)
                if i + 1 < length { SIMD8Memory.store(s1 * scale, to: line + padded) }
                if i + 2 < length { SIMD8Memory.store(s2 * scale, to: line + 2 * padded) }
                if i + 3 < length { SIMD8Memory.store(s3 * scale, to: line + 3 * padded) }
                block += 8
            }
            i += 4
        }
        TensorKernels.softmaxRows(scores, rows: length, columns: length, stride: padded)
        let values = value + first
        let target = output + rows.lowerBound * width + column
        i = 0
        while i < length {
            let w0 = scores + i * padded
            let w1 = scores + min(i + 1, length - 1) * padded
            let w2 = scores + min(i + 2, length - 1) * padded
            let w3 = scores + min(i + 3, length - 1) * padded
            var block = 0
            while block + 8 <= headWidth {
                var o0 = SIMD8<Float>(), o1 = SIMD8<Float>(), o2 = SIMD8<Float>(), o3 = SIMD8<Float>()
                var row = values + block
                for j in 0..<length {
                    let v = SIMD8Memory.load(row)
                    o0 += SIMD8(repeating: w0[j]) * v
                    o1 += SIMD8(repeating: w1[j]) * v
                    o2 += SIMD8(repeating: w2[j]) * v
                    o3 += SIMD8(repeating: w3[j]) * v
                    row += stride
                }
                let line = target + i * width + block
                SIMD8Memory.store(o0, to: line)
                if i + 1 < length { SIMD8Memory.store(o1, to: line + width) }
                if i + 2 < length { SIMD8Memory.store(o2, to: line + 2 * width) }
                if i + 3 < length { SIMD8Memory.store(o3, to: line + 3 * width) }
                block += 8
            }
            // Columns left over when the head width is not a multiple of 8.
            while block < headWidth {
                for r in i..<min(i + 4, length) {
                    let weights = scores + r * padded
                    var sum: Float = 0
                    for j in 0..<length { sum += weights[j] * values[j * stride + block] }
                    target[r * width + block] = sum
                }
                block += 1
            }
            i += 4
        }
    }
}

/// Unaligned loads and stores of eight Floats.
enum SIMD8Memory {
    /// The eight Floats starting at `pointer`.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Writes `vector` to the eight Floats starting at `pointer`.
    @inline(__always)
    static func store(_ vector: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: SIMD8<Float>.self)
    }
}
