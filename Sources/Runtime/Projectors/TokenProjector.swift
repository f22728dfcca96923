/// The paper's per-token projector block, P(x) = LN(x) → Dropout → Linear_a(n) + Linear_c(GELU(Linear_b(n))),
/// with explicit forward and backward passes.
///
/// Dropout is off unless ``dropoutProbability`` is above zero and ``isTraining`` is true; its
/// masks come from a seeded generator held by the projector, so runs are reproducible. Kept
/// values are scaled by 1/(1 − p), as PyTorch's `nn.Dropout` does.
///
/// Parameter names, as PyTorch `state_dict` keys of a module holding `norm = nn.LayerNorm(in)`,
/// `linear = nn.Linear(in, out)` (Linear_a, the linear path) and
/// `mlp = nn.Sequential(nn.Linear(in, hidden), nn.GELU(), nn.Linear(hidden, out))`
/// (Linear_b and Linear_c):
/// `norm.weight`, `norm.bias`, `linear.weight`, `linear.bias`, `mlp.0.weight`, `mlp.0.bias`,
/// `mlp.2.weight`, `mlp.2.bias`, in that order in ``parameters``.
public struct TokenProjector: Sendable {
    /// The activations a forward pass keeps for the backward pass.
    public struct Cache: Sendable {
        /// The row count.
        public var rows: Int
        /// The LayerNorm cache.
        public var norm: LayerNormLayer.Cache
        /// The dropout factors (0 or 1/(1 − p)) applied after the LayerNorm, `[rows, in]`; nil
        /// when dropout was off.
        public var dropoutScale: [Float]?
        /// LN(x) after dropout, `[rows, in]`: the input of both linear paths.
        public var normalized: [Float]
        /// Linear_b(n) before GELU, `[rows, hidden]`.
        public var hiddenPreActivation: [Float]
        /// GELU(Linear_b(n)), `[rows, hidden]`.
        public var hidden: [Float]
    }

    /// The input width.
    public let inFeatures: Int
    /// The width of the GELU path.
    public let hiddenFeatures: Int
    /// The output width.
    public let outFeatures: Int
    /// The input LayerNorm (`norm.*`).
    public var norm: LayerNormLayer
    /// Linear_a, the linear path (`linear.*`).
    public var linear: Linear
    /// Linear_b, into the GELU (`mlp.0.*`).
    public var mlpIn: Linear
    /// Linear_c, out of the GELU (`mlp.2.*`).
    public var mlpOut: Linear
    /// What the latest ``forward(_:rows:)`` saved; nil before the first.
    public private(set) var cache: Cache?
    /// The probability of zeroing each LayerNorm output while training; 0 (off) by default,
    /// 0.1 in the paper.
    public var dropoutProbability: Float = 0
    /// Whether ``forward(_:rows:)`` applies dropout; false by default.
    public var isTraining = false
    /// The generator dropout masks are drawn from; advanced by each forward pass that applies
    /// dropout.
    public var dropoutRandom = ProjectorRandom(seed: 0x5EED)

    /// Creates a projector with PyTorch-style random initialisation from `random`.
    public init(inFeatures: Int, hiddenFeatures: Int, outFeatures: Int, random: inout ProjectorRandom) {
        self.inFeatures = inFeatures
        self.hiddenFeatures = hiddenFeatures
        self.outFeatures = outFeatures
        norm = LayerNormLayer(width: inFeatures)
        linear = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
        mlpIn = Linear(inFeatures: inFeatures, outFeatures: hiddenFeatures, random: &random)
        mlpOut = Linear(inFeatures: hiddenFeatures, outFeatures: outFeatures, random: &random)
    }

    /// The parameters with their module prefixes, in the documented order.
    ///
    /// Setting assigns values and gradients back by position; names and shapes must match.
    public var parameters: [ProjectorParameter] {
        get {
            norm.parameters.map { $0.prefixed("norm") } + linear.parameters.map { $0.prefixed("linear") }
                + mlpIn.parameters.map { $0.prefixed("mlp.0") } + mlpOut.parameters.map { $0.prefixed("mlp.2") }
        }
        set {
            let current = parameters
            precondition(newValue.count == current.count, "TokenProjector: expected \(current.count) parameters")
            for (old, new) in zip(current, newValue) {
                precondition(old.name == new.name && old.shape == new.shape, "TokenProjector: parameter \(new.name) does not match \(old.name)")
            }
            func assign(_ target: inout ProjectorParameter, _ source: ProjectorParameter) {
                target.value = source.value
                target.gradient = source.gradient
            }
            assign(&norm.weight, newValue[0])
            assign(&norm.bias, newValue[1])
            assign(&linear.weight, newValue[2])
            assign(&linear.bias, newValue[3])
            assign(&mlpIn.weight, newValue[4])
            assign(&mlpIn.bias, newValue[5])
            assign(&mlpOut.weight, newValue[6])
            assign(&mlpOut.bias, newValue[7])
        }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Projects `rows` tokens (`[rows, in]`) to `[rows, out]` and caches what
    /// ``backward(outputGradient:)`` needs.
    public mutating func forward(_ input: [Float], rows: Int) -> [Float] {
        var (normalized, normCache) = norm.forward(input, rows: rows)
        var dropoutScale: [Float]?
        if isTraining && dropoutProbability > 0 {
            precondition(dropoutProbability < 1, "TokenProjector: dropout probability must be below 1")
            let kept = 1 / (1 - dropoutProbability)
            let scale = normalized.indices.map { _ in
                Float(dropoutRandom.next() >> 40) / Float(1 << 24) < dropoutProbability ? 0 : kept
            }
            for index in normalized.indices { normalized[index] *= scale[index] }
            dropoutScale = scale
        }
        let linearPath = linear.forward(normalized, rows: rows)
        let preActivation = mlpIn.forward(normalized, rows: rows)
        let hidden = GELUActivation.forward(preActivation)
        var output = mlpOut.forward(hidden, rows: rows)
        for index in output.indices { output[index] += linearPath[index] }
        cache = Cache(rows: rows, norm: normCache, dropoutScale: dropoutScale, normalized: normalized, hiddenPreActivation: preActivation, hidden: hidden)
        return output
    }

    /// Backward pass through the latest forward pass: accumulates every parameter gradient and
    /// returns dLoss/dX, `[rows, in]`.
    ///
    /// - Precondition: ``forward(_:rows:)`` ran first.
    public mutating func backward(outputGradient: [Float]) -> [Float] {
        guard let cache else { preconditionFailure("TokenProjector.backward before forward") }
        let rows = cache.rows
        let hiddenGradient = mlpOut.backward(input: cache.hidden, outputGradient: outputGradient, rows: rows)
        let preActivationGradient = GELUActivation.backward(input: cache.hiddenPreActivation, outputGradient: hiddenGradient)
        var normalizedGradient = mlpIn.backward(input: cache.normalized, outputGradient: preActivationGradient, rows: rows)
        let linearGradient = linear.backward(input: cache.normalized, outputGradient: outputGradient, rows: rows)
        for index in normalizedGradient.indices { normalizedGradient[index] += linearGradient[index] }
        if let scale = cache.dropoutScale {
            for index in normalizedGradient.indices { normalizedGradient[index] *= scale[index] }
        }
        return norm.backward(cache: cache.norm, outputGradient: normalizedGradient, rows: rows)
    }

    /// Zeroes every parameter gradient.
    public mutating func zeroGradients() {
        norm.zeroGradients()
        linear.zeroGradients()
        mlpIn.zeroGradients()
        mlpOut.zeroGradients()
    }
}
