import Runtime

/// One pre-norm CLIP encoder layer, as transformers' `CLIPEncoderLayer` (SigLIP's has the same
/// names and form):
///
///     x = x + out_proj(SelfAttention(layer_norm1(x)))
///     x = x + fc2(act(fc1(layer_norm2(x))))
///
/// It runs on packed rows: the dense layers see every token of the batch as one matrix and
/// attention runs per sequence (``PackedAttention``), with an optional bias such as the text
/// tower's causal mask. Q, K and V are fused into one `[3D, D]` weight; each block's output bias
/// is added to the residual stream in the LayerNorm pass before the block, so its last GEMM
/// accumulates straight onto the stream.
struct ClipEncoderLayer: Sendable {
    let width: Int
    let epsilon: Float
    let activation: GELUForm
    let attention: PackedAttention
    let norm1Weight: Tensor
    let norm1Bias: Tensor
    /// `self_attn.{q,k,v}_proj` stacked, `[3D, D]`, packed.
    let qkv: PackedLinear
    let qkvBias: Tensor
    let attentionOutput: PackedLinear
    let attentionOutputBias: Tensor
    let norm2Weight: Tensor
    let norm2Bias: Tensor
    let expand: PackedLinear
    let expandBias: Tensor
    let contract: PackedLinear
    let contractBias: Tensor

    /// Reads one layer from `weights` scoped to it (`encoder.layers.<index>`), checking every
    /// shape against `config`.
    init(weights: WeightReader, config: ClipTowerConfig) throws(ModelLoadError) {
        let d = config.hiddenSize
        let i = config.intermediateSize
        width = d
        epsilon = config.layerNormEpsilon
        activation = config.activation
        attention = PackedAttention(heads: config.attentionHeads, headWidth: config.headWidth)
        (norm1Weight, norm1Bias) = try weights.layerNorm("layer_norm1", width: d)
        let stacked = try weights.scoped("self_attn").stackedLinear(["q_proj", "k_proj", "v_proj"], width: d)
        qkv = PackedLinear(weight: stacked.weight)
        qkvBias = stacked.bias
        let output = try weights.linear("self_attn.out_proj", inputs: d, outputs: d)
        attentionOutput = PackedLinear(weight: output.weight)
        attentionOutputBias = output.bias
        (norm2Weight, norm2Bias) = try weights.layerNorm("layer_norm2", width: d)
        let first = try weights.linear("mlp.fc1", inputs: d, outputs: i)
        expand = PackedLinear(weight: first.weight)
        expandBias = first.bias
        let second = try weights.linear("mlp.fc2", inputs: i, outputs: d)
        contract = PackedLinear(weight: second.weight)
        contractBias = second.bias
    }

    /// Runs the layer in place on `hidden`, `rows` packed token rows whose sequences occupy the
    /// row ranges `sequences`, with `bias` on every sequence's attention scores.
    func forward(
        _ hidden: UnsafeMutablePointer<Float>, rows: Int, sequences: [Range<Int>],
        workspace: ClipWorkspace, bias: (any AttentionBias)?
    ) {
        let normed = workspace.normed
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width, weight: norm1Weight.baseAddress, bias: norm1Bias.baseAddress,
            epsilon: epsilon, output: normed, thenAdding: attentionOutputBias.baseAddress)
        qkv(input: normed, rows: rows, bias: qkvBias.baseAddress, output: workspace.qkv)
        attention(
            query: workspace.qkv, key: workspace.qkv + width, value: workspace.qkv + 2 * width, stride: 3 * width,
            sequences: sequences, output: workspace.context, positionBias: bias)
        attentionOutput(input: workspace.context, rows: rows, bias: nil, residual: hidden, output: hidden)
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width, weight: norm2Weight.baseAddress, bias: norm2Bias.baseAddress,
            epsilon: epsilon, output: normed, thenAdding: contractBias.baseAddress)
        expand(input: normed, rows: rows, bias: expandBias.baseAddress, activation: activation, output: workspace.expanded)
        contract(input: workspace.expanded, rows: rows, bias: nil, residual: hidden, output: hidden)
    }
}

/// Scratch buffers for one CLIP tower's forward pass, sized for its packed row count.
final class ClipWorkspace {
    /// `rows × width`: a LayerNorm of the residual stream.
    let normed: UnsafeMutablePointer<Float>
    /// `rows × 3·width`: fused Q, K, V.
    let qkv: UnsafeMutablePointer<Float>
    /// `rows × width`: attention output before its dense layer.
    let context: UnsafeMutablePointer<Float>
    /// `rows × intermediateWidth`: the feed-forward activations.
    let expanded: UnsafeMutablePointer<Float>

    init(rows: Int, width: Int, intermediateWidth: Int) {
        let rows = max(rows, 1)
        normed = CacheLineMemory.floats(rows * width)
        qkv = CacheLineMemory.floats(rows * 3 * width)
        context = CacheLineMemory.floats(rows * width)
        expanded = CacheLineMemory.floats(rows * intermediateWidth)
    }

    deinit {
        normed.deallocate()
        qkv.deallocate()
        context.deallocate()
        expanded.deallocate()
    }
}
