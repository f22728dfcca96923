import Runtime

/// The feed-forward block of a DINOv2 layer: transformers' `Dinov2MLP`
/// (`fc2(act(fc1(x)))`) or, with `use_swiglu_ffn`, `Dinov2SwiGLUFFN`
/// (`weights_out(silu(x₁) · x₂)` where `x₁, x₂` are the first and second halves of
/// `weights_in(x)`), with the layer's second layer scale folded into its output layer.
struct Dinov2FeedForward: Sendable {
    /// Which block, with the MLP's activation.
    enum Kind: Sendable, Equatable {
        case mlp(GELUForm)
        case swiGLU
    }

    let kind: Kind
    let width: Int
    /// The width between the two linear layers (after the SwiGLU gate).
    let hiddenWidth: Int
    /// `[hiddenWidth, width]` for the MLP, `[2 · hiddenWidth, width]` (gate rows first) for
    /// SwiGLU, packed.
    let input: PackedLinear
    let inputBias: Tensor
    /// `[width, hiddenWidth]`, row `i` times the output scale's element `i`, packed.
    let output: PackedLinear
    /// `[width]`, times the output scale; ``forward(_:rows:workspace:accumulatingOnto:)`` leaves
    /// it to the caller to add.
    let outputBias: Tensor

    /// Reads the block from `weights` scoped to it (`encoder.layer.N.mlp`), checking shapes
    /// against `config`, and scales its output by `outputScale` (`layer_scale2.lambda1`).
    init(weights: WeightReader, config: Dinov2Config, outputScale: Tensor) throws(ModelLoadError) {
        let d = config.hiddenSize
        let h = config.feedForwardWidth
        width = d
        hiddenWidth = h
        let (first, second) = config.usesSwiGLU ? ("weights_in", "weights_out") : ("fc1", "fc2")
        let expanded = config.usesSwiGLU ? 2 * h : h
        kind = config.usesSwiGLU ? .swiGLU : .mlp(config.activation)
        let inputLinear = try weights.linear(first, inputs: d, outputs: expanded)
        input = PackedLinear(weight: inputLinear.weight)
        inputBias = inputLinear.bias
        let outputLinear = try weights.linear(second, inputs: h, outputs: d)
        let (outputWeight, scaledBias) = Dinov2Layer.scaled(weight: outputLinear.weight, bias: outputLinear.bias, by: outputScale)
        output = PackedLinear(weight: outputWeight)
        outputBias = scaledBias
    }

    /// The columns of the first linear layer's output.
    var expandedWidth: Int { input.outFeatures }

    /// Runs the block on `rows` rows of `input` and adds the result, without ``outputBias``, to
    /// `target` (`rows × width`, not overlapping `input`).
    func forward(
        _ input: UnsafePointer<Float>, rows: Int, workspace: Dinov2Workspace,
        accumulatingOnto target: UnsafeMutablePointer<Float>
    ) {
        let expanded = workspace.expanded
        let hidden: UnsafeMutablePointer<Float>
        switch kind {
        case .mlp(let form):
            // Bias and GELU in the kernel's epilogue, on each tile before its only store.
            self.input(input: input, rows: rows, bias: inputBias.baseAddress, activation: form, output: expanded)
            hidden = expanded
        case .swiGLU:
            // The bias joins the gating pass.
            self.input(input: input, rows: rows, bias: nil, output: expanded)
            hidden = workspace.gated
            TensorKernels.biasSwiGLU(
                expanded, rows: rows, hiddenWidth: hiddenWidth, bias: inputBias.baseAddress,
                output: hidden)
        }
        output(input: hidden, rows: rows, bias: nil, residual: target, output: target)
    }
}
