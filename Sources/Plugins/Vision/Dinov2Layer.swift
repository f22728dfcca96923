import Runtime

/// One pre-norm DINOv2 encoder layer, as transformers' `Dinov2Layer`:
///
///     x = x + λ₁ ⊙ Dense_o(SelfAttention(LayerNorm₁(x)))
///     x = x + λ₂ ⊙ FeedForward(LayerNorm₂(x))
///
/// It runs on packed rows: the dense layers see all tokens of the batch as one `[N·T, D]`
/// matrix, and attention runs per image and head (``LongSequenceAttention``). Q, K and V are
/// fused into one `[3D, D]` weight so one GEMM makes all three.
///
/// The layer scales are folded into the weights when loading: λ ⊙ (y·Wᵀ + b) = y·(diag(λ)·W)ᵀ +
/// λ ⊙ b, so each block's last GEMM accumulates straight onto the residual stream (beta = 1),
/// and its bias λ ⊙ b joins the LayerNorm pass that precedes the block.
struct Dinov2Layer: Sendable {
    let width: Int
    let attention: LongSequenceAttention
    let epsilon: Float
    let norm1Weight: Tensor
    let norm1Bias: Tensor
    /// Rows: query, key, value weights stacked, `[3D, D]`, packed.
    let qkv: PackedLinear
    /// `[3D]`; zeros when the config has no qkv bias.
    let qkvBias: Tensor
    /// `attention.output.dense.weight` with row `i` times `layer_scale1.lambda1[i]`, `[D, D]`,
    /// packed.
    let attentionOutput: PackedLinear
    /// `attention.output.dense.bias ⊙ layer_scale1.lambda1`, `[D]`.
    let attentionOutputBias: Tensor
    let norm2Weight: Tensor
    let norm2Bias: Tensor
    /// The feed-forward block, its output already scaled by `layer_scale2.lambda1`.
    let feedForward: Dinov2FeedForward

    /// Reads one layer from `weights` scoped to it (`encoder.layer.<index>`), checking every
    /// shape against `config`.
    init(weights: WeightReader, config: Dinov2Config) throws(ModelLoadError) {
        let d = config.hiddenSize
        width = d
        attention = LongSequenceAttention(heads: config.attentionHeads, headWidth: config.headWidth)
        epsilon = config.layerNormEpsilon
        (norm1Weight, norm1Bias) = try weights.layerNorm("norm1", width: d)
        let stacked = try weights.scoped("attention.attention").stackedLinear(
            ["query", "key", "value"], width: d, biases: config.qkvBias)
        qkv = PackedLinear(weight: stacked.weight)
        qkvBias = stacked.bias
        let scale1 = try weights.tensor("layer_scale1.lambda1", shape: [d])
        let dense = try weights.linear("attention.output.dense", inputs: d, outputs: d)
        let (outputWeight, outputBias) = Self.scaled(weight: dense.weight, bias: dense.bias, by: scale1)
        attentionOutput = PackedLinear(weight: outputWeight)
        attentionOutputBias = outputBias
        (norm2Weight, norm2Bias) = try weights.layerNorm("norm2", width: d)
        let scale2 = try weights.tensor("layer_scale2.lambda1", shape: [d])
        feedForward = try Dinov2FeedForward(weights: weights.scoped("mlp"), config: config, outputScale: scale2)
    }

    /// `weight` `[out, in]` with row `i` multiplied by `scale[i]`, and `bias ⊙ scale`.
    static func scaled(weight: Tensor, bias: Tensor, by scale: Tensor) -> (weight: Tensor, bias: Tensor) {
        let (rows, columns) = (weight.shape[0], weight.shape[1])
        let factors = scale.scalars
        var values = weight.scalars
        for row in 0..<rows {
            for column in 0..<columns { values[row * columns + column] *= factors[row] }
        }
        let biases = zip(bias.scalars, factors).map { $0 * $1 }
        return (Tensor(shape: weight.shape, scalars: values), Tensor(shape: bias.shape, scalars: biases))
    }

    /// Runs the layer in place on `hidden`: `images` images of `length` token rows each, packed
    /// row after row.
    ///
    /// On entry `workspace.normed` must hold LayerNorm₁ of the layer's input and `hidden` the
    /// input plus ``attentionOutputBias``: see ``enter(_:rows:normed:)``. On return `hidden`
    /// holds the layer's output.
    func forward(
        _ hidden: UnsafeMutablePointer<Float>, images: Int, length: Int, workspace: Dinov2Workspace
    ) {
        let rows = images * length
        let normed = workspace.normed
        let qkv = workspace.qkv
        self.qkv(input: normed, rows: rows, bias: qkvBias.baseAddress, output: qkv)
        attention(
            query: qkv, key: qkv + width, value: qkv + 2 * width, stride: 3 * width,
            sequences: images, length: length, output: workspace.context)
        attentionOutput(input: workspace.context, rows: rows, bias: nil, residual: hidden, output: hidden)
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width, weight: norm2Weight.baseAddress,
            bias: norm2Bias.baseAddress, epsilon: epsilon, output: normed,
            thenAdding: feedForward.outputBias.baseAddress)
        feedForward.forward(normed, rows: rows, workspace: workspace, accumulatingOnto: hidden)
    }

    /// Prepares `rows` rows of `hidden` for ``forward(_:images:length:workspace:)``: writes
    /// LayerNorm₁ into `normed` and adds ``attentionOutputBias`` to `hidden`, in one pass.
    func enter(_ hidden: UnsafeMutablePointer<Float>, rows: Int, normed: UnsafeMutablePointer<Float>) {
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width, weight: norm1Weight.baseAddress,
            bias: norm1Bias.baseAddress, epsilon: epsilon, output: normed,
            thenAdding: attentionOutputBias.baseAddress)
    }
}
