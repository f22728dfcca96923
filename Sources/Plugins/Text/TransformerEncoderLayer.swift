import Runtime

/// One post-norm BERT encoder layer, as in transformers' `BertLayer` (RoBERTa's is the same):
///
///     a = LayerNorm(x + Dense_o(SelfAttention(x)))
///     y = LayerNorm(a + Dense_2(GELU(Dense_1(a))))
///
/// It runs on packed rows: the dense layers see all tokens of the batch as one `[ΣL, D]` matrix,
/// and attention runs per sequence. Q, K and V are fused into one `[3D, D]` weight so one GEMM
/// makes all three; layer 0 has none of its own, its Q/K/V coming from ``FirstLayerProjection``.
struct TransformerEncoderLayer: Sendable {
    let width: Int
    let intermediateWidth: Int
    let attention: PackedAttention
    let activation: GELUForm
    let epsilon: Float
    /// Query, key and value weights stacked (`[3D, D]`) and their biases; nil when the caller
    /// fills `workspace.qkv` itself (layer 0).
    let qkv: (weight: PackedLinear, bias: Tensor)?
    let attentionOutput: PackedLinear
    let attentionOutputBias: Tensor
    let attentionNormWeight: Tensor
    let attentionNormBias: Tensor
    let intermediate: PackedLinear
    let intermediateBias: Tensor
    let output: PackedLinear
    let outputBias: Tensor
    let outputNormWeight: Tensor
    let outputNormBias: Tensor

    /// Reads one layer from `weights` scoped to it (`encoder.layer.<index>`), checking every
    /// shape against `config`; without `ownsQKV` its Q/K/V weights are left to the caller.
    init(weights: WeightReader, config: TransformerConfig, ownsQKV: Bool, layout: TransformerLayout = .bert) throws(ModelLoadError) {
        let d = config.hiddenSize
        let i = config.intermediateSize
        width = d
        intermediateWidth = i
        attention = PackedAttention(heads: config.attentionHeads, headWidth: config.headWidth)
        activation = config.activation
        epsilon = config.layerNormEpsilon

        if ownsQKV {
            let stacked = try Self.stackedQKV(weights: weights, width: d, layout: layout)
            qkv = (PackedLinear(weight: stacked.weight), stacked.bias)
        } else {
            qkv = nil
        }

        let attentionOutputLinear = try weights.linear(layout.attentionOutput, inputs: d, outputs: d)
        attentionOutput = PackedLinear(weight: attentionOutputLinear.weight)
        attentionOutputBias = attentionOutputLinear.bias
        (attentionNormWeight, attentionNormBias) = try weights.layerNorm(layout.attentionNorm, width: d)
        let intermediateLinear = try weights.linear("intermediate.dense", inputs: d, outputs: i)
        intermediate = PackedLinear(weight: intermediateLinear.weight)
        intermediateBias = intermediateLinear.bias
        let outputLinear = try weights.linear("output.dense", inputs: i, outputs: d)
        output = PackedLinear(weight: outputLinear.weight)
        outputBias = outputLinear.bias
        (outputNormWeight, outputNormBias) = try weights.layerNorm("output.LayerNorm", width: d)
    }

    /// The layer's query, key and value weights stacked into `[3·width, width]`, and their
    /// biases into `[3·width]`; `weights` is scoped to the layer.
    static func stackedQKV(weights: WeightReader, width d: Int, layout: TransformerLayout = .bert) throws(ModelLoadError) -> (weight: Tensor, bias: Tensor) {
        try weights.scoped(layout.attentionScope).stackedLinear(layout.queryKeyValue, width: d)
    }

    /// Runs the layer in place on `hidden`, `rows × width` packed token states whose sequences
    /// occupy the row ranges `sequences`, using `workspace` for intermediates. A layer without
    /// its own Q/K/V weights expects `workspace.qkv` to hold the fused Q, K and V of `hidden`
    /// already (layer 0's, from ``FirstLayerProjection``) and starts at attention.
    func forward(
        _ hidden: UnsafeMutablePointer<Float>, rows: Int, sequences: [Range<Int>],
        workspace: EncoderWorkspace, positionBias: (any AttentionBias)? = nil
    ) {
        let fused = workspace.qkv
        if let qkv {
            qkv.weight(input: hidden, rows: rows, bias: qkv.bias.baseAddress, output: fused)
        }
        attention(
            query: fused, key: fused + width, value: fused + 2 * width, stride: 3 * width,
            sequences: sequences, output: workspace.context, positionBias: positionBias)

        let attended = workspace.attended
        attentionOutput(
            input: workspace.context, rows: rows, bias: attentionOutputBias.baseAddress,
            residual: hidden, output: attended)
        TensorKernels.layerNorm(
            attended, rows: rows, width: width,
            weight: attentionNormWeight.baseAddress, bias: attentionNormBias.baseAddress,
            epsilon: epsilon)

        // The feed-forward block in row chunks whose GELU activations stay in L2 between its two
        // products. GELU is applied to each tile as it leaves the GEMM kernel.
        let expanded = workspace.intermediate
        for chunk in Self.feedForwardChunks(rows: rows, intermediateWidth: intermediateWidth) {
            intermediate(
                input: attended + chunk.lowerBound * width, rows: chunk.count, bias: intermediateBias.baseAddress,
                activation: activation, output: expanded)
            output(
                input: expanded, rows: chunk.count, bias: outputBias.baseAddress,
                residual: attended + chunk.lowerBound * width, output: hidden + chunk.lowerBound * width)
        }
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width,
            weight: outputNormWeight.baseAddress, bias: outputNormBias.baseAddress,
            epsilon: epsilon)
    }
}

extension TransformerEncoderLayer {
    /// About how many bytes of GELU activations one feed-forward chunk produces.
    static let feedForwardChunkBytes = 3 << 19

    /// Consecutive row ranges covering `0..<rows` for the feed-forward block, as few as hold at
    /// most ``feedForwardChunkBytes`` of activations each (or 128 rows, if more), equal in size
    /// and a multiple of the kernel's 8-row tile but for the last. The second product then reads
    /// its input from L2 instead of L3: in `Benchmarks/model_gemms.c` (525 rows per thread) the
    /// two products went from 160 and 165 to 162 and 171 GFLOP/s. Each row's values are the
    /// same whatever the chunks.
    static func feedForwardChunks(rows: Int, intermediateWidth: Int) -> [Range<Int>] {
        guard rows > 0 else { return [] }
        let target = max(128, feedForwardChunkBytes / (max(intermediateWidth, 1) * MemoryLayout<Float>.stride))
        let pieces = (rows + target - 1) / target
        let size = ((rows + pieces - 1) / pieces + 7) / 8 * 8
        return stride(from: 0, to: rows, by: size).map { $0..<min($0 + size, rows) }
    }
}

/// Scratch buffers for one forward pass, sized for its packed row count and shared by all layers.
final class EncoderWorkspace {
    /// `rows × 3·width`: fused Q, K, V.
    let qkv: UnsafeMutablePointer<Float>
    /// `rows × width`: attention output before its dense layer.
    let context: UnsafeMutablePointer<Float>
    /// `rows × width`: the layer's state after attention and its LayerNorm.
    let attended: UnsafeMutablePointer<Float>
    /// `rows × intermediateWidth`: the feed-forward activations.
    let intermediate: UnsafeMutablePointer<Float>

    init(rows: Int, width: Int, intermediateWidth: Int) {
        let rows = max(rows, 1)
        qkv = CacheLineMemory.floats(rows * 3 * width)
        context = CacheLineMemory.floats(rows * width)
        attended = CacheLineMemory.floats(rows * width)
        intermediate = CacheLineMemory.floats(rows * intermediateWidth)
    }

    deinit {
        qkv.deallocate()
        context.deallocate()
        attended.deallocate()
        intermediate.deallocate()
    }
}
