import CVectorKernels

/// Raw-pointer element-wise and row-wise kernels, for hot paths that reuse their own buffers.
///
/// GELU, softmax and LayerNorm run in C (`CVectorKernels`), built for AVX-512, AVX2 and the
/// baseline instruction set with the best one picked at run time: Swift compiles for baseline
/// x86-64 only, where the same loops run 2-4 times slower. They use ``FastMath``'s polynomials.
///
/// Kernels that say so split their rows over ``ComputeThreads/count`` workers; call them between
/// GEMMs, never from inside another parallel loop. The others run on the calling thread.
public enum TensorKernels {
    /// output[i] = lhs[i] + rhs[i] for `count` elements; `output` may equal either input.
    /// Parallel.
    public static func add(
        _ lhs: UnsafePointer<Float>, _ rhs: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, count: Int
    ) {
        ParallelRows.forEach(count: count, costPerRow: 1) { range in
            for index in range { output[index] = lhs[index] + rhs[index] }
        }
    }

    /// Applies GELU in place to `count` elements. Parallel.
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int, form: GELUForm) {
        ParallelRows.forEach(count: count, costPerRow: 2) { range in
            zoo_bias_gelu_rows(values + range.lowerBound, 1, range.count, nil, form.kernelCode)
        }
    }

    /// Adds `bias` (`width` elements) to each of `rows` rows of `width` elements and applies
    /// GELU, in place and in one pass: the second half of a linear layer whose GEMM ran without
    /// its bias. Parallel.
    public static func biasGELU(
        _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        bias: UnsafePointer<Float>, form: GELUForm
    ) {
        ParallelRows.forEach(count: rows, costPerRow: width * 2) { range in
            zoo_bias_gelu_rows(values + range.lowerBound * width, range.count, width, bias, form.kernelCode)
        }
    }

    /// Softmax in place along each of `rows` rows of `columns` elements, rows `stride` apart.
    ///
    /// The row maximum is subtracted first, so large inputs do not overflow. A row that is all
    /// −∞ (fully masked) becomes uniform. Runs on the calling thread.
    public static func softmaxRows(
        _ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int
    ) {
        zoo_softmax_rows(values, rows, columns, stride)
    }

    /// LayerNorm in place over each of `rows` rows of `width` elements:
    /// y = (x − mean) / √(variance + epsilon) · weight + bias, with the biased variance, as
    /// PyTorch computes it. Parallel.
    public static func layerNorm(
        _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        guard width > 0 else { return }
        ParallelRows.forEach(count: rows, costPerRow: width) { range in
            let line = values + range.lowerBound * width
            zoo_layer_norm_rows(line, range.count, width, weight, bias, epsilon, line, nil)
        }
    }

    /// A linear layer `W·LayerNorm(x) + bias` from precomputed parts (the C kernel
    /// `zoo_normalized_projection_rows`): for each of `rows` rows x of `width` elements of
    /// `input`, with LayerNorm's mean m and 1/√(variance + epsilon) r of that row, writes
    /// `r · (first[firstIndex[row]] + second[secondIndex[row]] − m · sums) + constant` into
    /// `outWidth` elements of `output`. `first` and `second` are tables of `outWidth`-element
    /// rows; with W' = W·diag(γ), a row of `first` is W'·a, of `second` W'·b where x = a + b,
    /// `sums` is W'·1 and `constant` W·β + bias. Runs on the calling thread.
    public static func normalizedProjection(
        input: UnsafePointer<Float>, rows: Int, width: Int, epsilon: Float,
        first: UnsafePointer<Float>, firstIndex: UnsafePointer<Int32>,
        second: UnsafePointer<Float>, secondIndex: UnsafePointer<Int32>,
        sums: UnsafePointer<Float>, constant: UnsafePointer<Float>, outWidth: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, width > 0 else { return }
        zoo_normalized_projection_rows(
            input, rows, width, epsilon, first, firstIndex, second, secondIndex, sums, constant, outWidth,
            output)
    }

    /// Divides each of `rows` rows of `width` elements by max(‖row‖₂, epsilon), as PyTorch's
    /// `F.normalize`. Runs on the calling thread.
    public static func l2NormalizeRows(
        _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int, epsilon: Float = 1e-12
    ) {
        for row in 0..<rows {
            let line = values + row * width
            let squares = RowReductions.squaredDeviation(line, count: width, from: 0)
            let scale = 1 / max(squares.squareRoot(), epsilon)
            for column in 0..<width { line[column] *= scale }
        }
    }

    /// Copies row `ids[i]` of `table` (rows of `width` elements) to row `i` of `output`.
    ///
    /// - Precondition: every id lies in `0..<tableRows`.
    public static func gatherRows(
        table: UnsafePointer<Float>, tableRows: Int, width: Int,
        ids: UnsafeBufferPointer<Int32>, output: UnsafeMutablePointer<Float>
    ) {
        for (index, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < tableRows, "id \(id) outside a table of \(tableRows) rows")
            (output + index * width).update(from: table + Int(id) * width, count: width)
        }
    }

    /// Writes the mean of `count` consecutive rows of `width` elements starting at `rows` into
    /// `output`; zeros when `count` is 0. Runs on the calling thread.
    public static func meanOfRows(
        _ rows: UnsafePointer<Float>, count: Int, width: Int, output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: width)
        guard count > 0 else { return }
        for row in 0..<count {
            let line = rows + row * width
            for column in 0..<width { output[column] += line[column] }
        }
        let divisor = Float(count)
        for column in 0..<width { output[column] /= divisor }
    }
}
