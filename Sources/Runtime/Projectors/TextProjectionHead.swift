/// The paper's text head, applied to the pooled text embedding t:
/// h = Linear(t); y = LayerNorm(h + Dropout(Linear(GELU(h)))), with explicit forward and
/// backward passes.
///
/// Parameter names, as PyTorch `state_dict` keys of a module holding
/// `projection = nn.Linear(in, out)`, `fc = nn.Linear(out, out)` and `norm = nn.LayerNorm(out)`:
/// `projection.weight` `[out, in]`, `projection.bias`, `fc.weight` `[out, out]`, `fc.bias`,
/// `norm.weight`, `norm.bias`, in that order in ``parameters``.
///
/// Dropout (on fc's output) is off unless ``dropoutProbability`` is above zero and
/// ``isTraining`` is true; masks come from ``dropoutRandom``, one draw per element in row-major
/// order, as ``TokenProjector`` draws them, and kept values are scaled by 1/(1 − p).
public struct TextProjectionHead: Sendable {
    /// What a forward pass keeps for the backward pass.
    private struct Cache: Sendable {
        var rows: Int
        var input: [Float]
        var projected: [Float]
        var activated: [Float]
        var dropoutScale: [Float]?
        var norm: LayerNormLayer.Cache
    }

    /// The input width (the pooled text width).
    public let inFeatures: Int
    /// The output width.
    public let outFeatures: Int
    /// h = Linear(t) (`projection.*`).
    public var projection: Linear
    /// The residual path's linear layer after GELU (`fc.*`).
    public var fc: Linear
    /// The closing LayerNorm (`norm.*`).
    public var norm: LayerNormLayer
    /// The probability of zeroing each element of fc's output while training; 0 by default.
    public var dropoutProbability: Float = 0
    /// Whether ``forward(_:rows:)`` applies dropout; false by default.
    public var isTraining = false
    /// The generator dropout masks are drawn from.
    public var dropoutRandom = ProjectorRandom(seed: 0x5EED)
    private var cache: Cache?

    /// Creates a head with PyTorch-style random initialisation from `random` (projection,
    /// then fc; the LayerNorm starts at unit scale and zero shift).
    public init(inFeatures: Int, outFeatures: Int, random: inout ProjectorRandom) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        projection = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
        fc = Linear(inFeatures: outFeatures, outFeatures: outFeatures, random: &random)
        norm = LayerNormLayer(width: outFeatures)
    }

    /// The parameters with their module prefixes, in the documented order.
    ///
    /// Setting assigns values and gradients back by position; names and shapes must match.
    public var parameters: [ProjectorParameter] {
        get {
            var result: [ProjectorParameter] = []
            var copy = self
            copy.visitParameters { name, parameter in
                result.append(ProjectorParameter(name: name, shape: parameter.shape, value: parameter.value, gradient: parameter.gradient, decay: parameter.decay))
            }
            return result
        }
        set {
            var index = 0
            visitParameters { name, parameter in
                precondition(index < newValue.count, "TextProjectionHead: expected more than \(newValue.count) parameters")
                let source = newValue[index]
                precondition(source.name == name && source.shape == parameter.shape, "TextProjectionHead: parameter \(source.name) \(source.shape) does not match \(name) \(parameter.shape)")
                parameter.value = source.value
                parameter.gradient = source.gradient
                index += 1
            }
            precondition(index == newValue.count, "TextProjectionHead: expected \(index) parameters, got \(newValue.count)")
        }
    }

    /// Calls `body` on every parameter in place, in ``parameters`` order, with its name.
    mutating func visitParameters(_ body: (String, inout ProjectorParameter) -> Void) {
        body("projection.weight", &projection.weight)
        body("projection.bias", &projection.bias)
        body("fc.weight", &fc.weight)
        body("fc.bias", &fc.bias)
        body("norm.weight", &norm.weight)
        body("norm.bias", &norm.bias)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Maps `rows` pooled embeddings (`[rows, in]`) to `[rows, out]` and caches what
    /// ``backward(outputGradient:)`` needs.
    public mutating func forward(_ input: [Float], rows: Int) -> [Float] {
        var dropoutScale: [Float]?
        if isTraining && dropoutProbability > 0 {
            precondition(dropoutProbability < 1, "TextProjectionHead: dropout probability must be below 1")
            let kept = 1 / (1 - dropoutProbability)
            let start = dropoutRandom
            let probability = dropoutProbability
            dropoutScale = (0..<(rows * outFeatures)).map {
                ProjectorKernels.dropoutFactor(start, index: $0, probability: probability, kept: kept)
            }
            dropoutRandom.skip(rows * outFeatures)
        }
        let (output, cache) = pass(input, rows: rows, dropoutScale: dropoutScale, rowIndependent: false)
        self.cache = cache
        return output
    }

    /// The output for `rows` pooled embeddings with no dropout and nothing cached; each row's
    /// values do not depend on the other rows.
    public func output(_ input: [Float], rows: Int) -> [Float] {
        pass(input, rows: rows, dropoutScale: nil, rowIndependent: true).output
    }

    private func pass(_ input: [Float], rows: Int, dropoutScale: [Float]?, rowIndependent: Bool) -> (output: [Float], cache: Cache) {
        precondition(input.count == rows * inFeatures, "TextProjectionHead: expected \(rows)×\(inFeatures) inputs, got \(input.count)")
        let projected = projection.forward(input, rows: rows, rowIndependent: rowIndependent)
        var activated = projected
        for index in activated.indices { activated[index] = GELUForm.exact.apply(activated[index]) }
        var residual = fc.forward(activated, rows: rows, rowIndependent: rowIndependent)
        if let dropoutScale {
            for index in residual.indices { residual[index] *= dropoutScale[index] }
        }
        for index in residual.indices { residual[index] += projected[index] }
        let (output, normCache) = norm.forward(residual, rows: rows)
        return (output, Cache(rows: rows, input: input, projected: projected, activated: activated, dropoutScale: dropoutScale, norm: normCache))
    }

    /// Backward pass through the latest forward pass: accumulates every parameter gradient and
    /// returns dLoss/dt, `[rows, in]`.
    ///
    /// - Precondition: ``forward(_:rows:)`` ran first.
    public mutating func backward(outputGradient: [Float]) -> [Float] {
        guard let cache else { preconditionFailure("TextProjectionHead.backward before forward") }
        let rows = cache.rows
        precondition(outputGradient.count == rows * outFeatures, "TextProjectionHead: backward shape mismatch")
        let sumGradient = norm.backward(cache: cache.norm, outputGradient: outputGradient, rows: rows)
        var residualGradient = sumGradient
        if let scale = cache.dropoutScale {
            for index in residualGradient.indices { residualGradient[index] *= scale[index] }
        }
        var projectedGradient = fc.backward(input: cache.activated, outputGradient: residualGradient, rows: rows)
        for index in projectedGradient.indices {
            projectedGradient[index] = projectedGradient[index] * GELUForm.exactDerivative(cache.projected[index]) + sumGradient[index]
        }
        return projection.backward(input: cache.input, outputGradient: projectedGradient, rows: rows)
    }

    /// Zeroes every parameter gradient.
    public mutating func zeroGradients() {
        visitParameters { _, parameter in parameter.zeroGradient() }
    }
}
