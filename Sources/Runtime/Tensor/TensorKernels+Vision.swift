import CVectorKernels

/// Kernels for vision transformers: patch unfolding, LayerNorm fused with a bias on its input,
/// and SwiGLU. Like the other ``TensorKernels``, the parallel ones must run between GEMMs.
extension TensorKernels {
    /// Cuts `images` channel-first images `[channels, height, width]` into non-overlapping
    /// `patchSize × patchSize` patches and writes one row per patch, so that a stride-`patchSize`
    /// convolution becomes one GEMM with its weight `[out, channels, patchSize, patchSize]` viewed
    /// as `[out, channels · patchSize²]`.
    ///
    /// Rows run image by image, each image's patches in row-major grid order; a row holds the
    /// patch's values in (channel, row, column) order. Pixels past the last whole patch (when
    /// `height` or `width` is not a multiple of `patchSize`) are skipped, as a strided convolution
    /// does. Parallel.
    ///
    /// - Parameter output: `images · ⌊height/patchSize⌋ · ⌊width/patchSize⌋` rows of
    ///   `channels · patchSize²` elements.
    public static func unfoldPatches(
        _ pixels: UnsafePointer<Float>, images: Int, channels: Int, height: Int, width: Int,
        patchSize: Int, output: UnsafeMutablePointer<Float>
    ) {
        precondition(patchSize > 0, "patch size must be positive")
        let gridHeight = height / patchSize
        let gridWidth = width / patchSize
        let patches = gridHeight * gridWidth
        let rowWidth = channels * patchSize * patchSize
        ParallelRows.forEach(count: images * patches, costPerRow: rowWidth) { range in
            for row in range {
                let image = row / patches
                let patch = row % patches
                let top = (patch / gridWidth) * patchSize
                let left = (patch % gridWidth) * patchSize
                var target = output + row * rowWidth
                for channel in 0..<channels {
                    let plane = pixels + (image * channels + channel) * height * width
                    for line in 0..<patchSize {
                        target.update(from: plane + (top + line) * width + left, count: patchSize)
                        target += patchSize
                    }
                }
            }
        }
    }

    /// LayerNorm of each of `rows` rows of `width` elements of `hidden` into `output`, then, in
    /// the same pass, `addend` (`width` values, or nil) added to the row of `hidden` itself:
    ///
    ///     output[r] = (hidden[r] − mean) / √(variance + epsilon) · weight + bias
    ///     hidden[r] += addend
    ///
    /// with the biased variance, as PyTorch computes it. A pre-norm block whose output bias is
    /// added to the residual stream ahead of its GEMM (which then accumulates onto the stream
    /// with beta = 1) needs exactly this pass. `output` must not overlap `hidden`. Parallel.
    public static func layerNorm(
        _ hidden: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, thenAdding addend: UnsafePointer<Float>?
    ) {
        guard width > 0 else { return }
        ParallelRows.forEach(count: rows, costPerRow: width) { range in
            zoo_layer_norm_rows(
                hidden + range.lowerBound * width, range.count, width, weight, bias, epsilon,
                output + range.lowerBound * width, addend)
        }
    }

    /// SwiGLU with the bias of the preceding linear layer: for each of `rows` rows of
    /// `2 · hiddenWidth` elements split into a gate half `g` (first) and a value half `v`,
    /// writes `silu(g + bias[..<h]) · (v + bias[h...])`, `hiddenWidth` elements, into `output`.
    /// `output` must not overlap `input`. Parallel.
    ///
    /// - Parameter bias: `2 · hiddenWidth` values, or nil.
    public static func biasSwiGLU(
        _ input: UnsafePointer<Float>, rows: Int, hiddenWidth: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) {
        guard hiddenWidth > 0 else { return }
        let zeros = [Float](repeating: 0, count: bias == nil ? 2 * hiddenWidth : 0)
        zeros.withUnsafeBufferPointer { zeros in
            let bias = bias ?? zeros.baseAddress!
            ParallelRows.forEach(count: rows, costPerRow: hiddenWidth * 12) { range in
                for row in range {
                    let gate = input + row * 2 * hiddenWidth
                    let value = gate + hiddenWidth
                    let target = output + row * hiddenWidth
                    for column in 0..<hiddenWidth {
                        let g = gate[column] + bias[column]
                        let v = value[column] + bias[hiddenWidth + column]
                        target[column] = g / (1 + FastMath.exp(-g)) * v
                    }
                }
            }
        }
    }
}
