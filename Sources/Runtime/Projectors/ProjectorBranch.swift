/// One branch of a ``PairProjector``: ``BranchLayers`` of one ``BranchKind`` applied to each
/// row it is given, with explicit forward and backward passes.
///
/// Two ways to run it:
/// - per row, ``forward(_:rows:)`` / ``backward(outputGradient:)``: one output row per input
///   row, and the backward pass returns the input gradient;
/// - per group mean, ``forwardMean(_:groups:)`` / ``backwardMean(outputGradient:)``: the mean of
///   the per-row outputs over each group of rows (an image's patch tokens, a sentence's tokens),
///   which is what ``PairProjector`` uses. Because the last layers of every kind are linear,
///   the mean is taken before them (mean_r(W·a_r + b) = W·mean_r(a_r) + b), so only the first
///   layer runs on every row; no input gradient is computed (the encoders are frozen).
///
/// Parameter names are those of the kind's PyTorch module (see ``BranchKind``), unprefixed.
/// Dropout applies only to ``BranchKind/token``, as ``TokenProjector`` applies it, and only
/// while ``isTraining``; both ways of running draw the same masks from the same generator.
public struct ProjectorBranch: Sendable {
    /// What the per-row forward pass kept.
    private struct RowCache: Sendable {
        var rows: Int
        var input: [Float]
        var preActivation: [Float]
        var hidden: [Float]
    }

    /// What the grouped-mean forward pass kept; see ``forwardMean(_:groups:)``.
    private struct MeanCache: Sendable {
        var groups: RowGroups
        /// mlp: the gathered input rows `[rows, in]`; linear: the group means `[groups, in]`.
        var input: [Float] = []
        /// token: x̂, the LayerNorm output before the affine, `[rows, in]`.
        var normalized: [Float] = []
        /// mlp, token: GELU′ of the first layer's output, `[rows, hidden]`.
        var derivative: [Float] = []
        /// token: the group means of the LayerNorm+dropout output, `[groups, in]`.
        var inputMean: [Float] = []
        /// mlp, token: the group means of GELU(pre), `[groups, hidden]`.
        var hiddenMean: [Float] = []
        /// token: 1 where dropout kept a value, 0 where it dropped it, `[rows, in]`; empty when
        /// dropout was off.
        var mask: [UInt8] = []
    }

    /// The layers; their case is the branch's kind.
    public private(set) var layers: BranchLayers
    /// The kind.
    public var kind: BranchKind { layers.kind }
    /// The input width.
    public let inFeatures: Int
    /// The output width (also the hidden width of ``BranchKind/mlp`` and ``BranchKind/token``).
    public let outFeatures: Int
    /// Whether forward passes apply dropout (``BranchKind/token`` only); false by default.
    public var isTraining: Bool {
        get { layers.tokenBlock?.isTraining ?? false }
        set { layers.updateTokenBlock { $0.isTraining = newValue } }
    }
    /// The dropout probability of a ``BranchKind/token`` branch; 0 for other kinds, where
    /// setting it has no effect.
    public var dropoutProbability: Float {
        get { layers.tokenBlock?.dropoutProbability ?? 0 }
        set { layers.updateTokenBlock { $0.dropoutProbability = newValue } }
    }
    /// The generator dropout masks come from (``BranchKind/token`` only; setting it on other
    /// kinds has no effect).
    public var dropoutRandom: ProjectorRandom {
        get { layers.tokenBlock?.dropoutRandom ?? ProjectorRandom(seed: 0) }
        set { layers.updateTokenBlock { $0.dropoutRandom = newValue } }
    }
    private var rowCache: RowCache?
    private var meanCache: MeanCache?
    /// Large buffers kept from one training step to the next.
    private var scratch = ScratchPool()
    /// The dropout mask buffer kept from one training step to the next.
    private var spareMask: [UInt8] = []

    /// Creates a branch with PyTorch-style random initialisation from `random` (identity and
    /// none draw nothing).
    ///
    /// - Precondition: widths are positive; ``BranchKind/identity`` needs equal widths.
    public init(kind: BranchKind, inFeatures: Int, outFeatures: Int, random: inout ProjectorRandom) {
        precondition(inFeatures > 0 && outFeatures > 0, "ProjectorBranch: widths must be positive")
        precondition(kind != .identity || inFeatures == outFeatures, "ProjectorBranch: identity needs equal widths, got \(inFeatures) → \(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        layers = BranchLayers(kind: kind, inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
    }

    /// A branch of kind none, widths 1, that holds the place of a branch moved elsewhere.
    static var placeholder: ProjectorBranch {
        var random = ProjectorRandom(seed: 0)
        return ProjectorBranch(kind: .none, inFeatures: 1, outFeatures: 1, random: &random)
    }

    /// The parameters in their module order, unprefixed: `linear.weight`, `linear.bias`;
    /// `mlp.0.weight`, `mlp.0.bias`, `mlp.2.weight`, `mlp.2.bias`; or the ``TokenProjector``'s
    /// eight; none for identity and none.
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
                precondition(index < newValue.count, "ProjectorBranch: expected more than \(newValue.count) parameters")
                let source = newValue[index]
                precondition(source.name == name && source.shape == parameter.shape, "ProjectorBranch: parameter \(source.name) \(source.shape) does not match \(name) \(parameter.shape)")
                parameter.value = source.value
                parameter.gradient = source.gradient
                index += 1
            }
            precondition(index == newValue.count, "ProjectorBranch: expected \(index) parameters, got \(newValue.count)")
        }
    }

    /// Calls `body` on every parameter in place, in ``parameters`` order, with its name.
    mutating func visitParameters(_ body: (String, inout ProjectorParameter) -> Void) {
        layers.visitParameters(body)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Zeroes every parameter gradient.
    public mutating func zeroGradients() {
        visitParameters { _, parameter in parameter.zeroGradient() }
    }

    // MARK: Per row

    /// Applies the branch to each of `rows` rows of `input` (`[rows, in]`); returns
    /// `[rows, out]` (zeros for ``BranchKind/none``) and caches what
    /// ``backward(outputGradient:)`` needs.
    public mutating func forward(_ input: [Float], rows: Int) -> [Float] {
        precondition(input.count == rows * inFeatures, "ProjectorBranch: expected \(rows)×\(inFeatures) inputs, got \(input.count)")
        switch layers {
        case .none:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            return [Float](repeating: 0, count: rows * outFeatures)
        case .identity:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            return input
        case .linear(let layer):
            rowCache = RowCache(rows: rows, input: input, preActivation: [], hidden: [])
            return layer.forward(input, rows: rows)
        case .mlp(let first, let second):
            let preActivation = first.forward(input, rows: rows)
            let hidden = GELUActivation.forward(preActivation)
            rowCache = RowCache(rows: rows, input: input, preActivation: preActivation, hidden: hidden)
            return second.forward(hidden, rows: rows)
        case .token:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            var output: [Float] = []
            layers.updateTokenBlock { output = $0.forward(input, rows: rows) }
            return output
        }
    }

    /// Backward pass through the latest ``forward(_:rows:)``: accumulates every parameter
    /// gradient and returns dLoss/dX, `[rows, in]`.
    ///
    /// - Precondition: ``forward(_:rows:)`` ran first.
    public mutating func backward(outputGradient: [Float]) -> [Float] {
        guard let cache = rowCache else { preconditionFailure("ProjectorBranch.backward before forward") }
        precondition(outputGradient.count == cache.rows * outFeatures, "ProjectorBranch: backward shape mismatch")
        switch layers.take() {
        case .none:
            return [Float](repeating: 0, count: cache.rows * inFeatures)
        case .identity:
            return outputGradient
        case .linear(var layer):
            defer { layers = .linear(layer) }
            return layer.backward(input: cache.input, outputGradient: outputGradient, rows: cache.rows)
        case .mlp(var first, var second):
            defer { layers = .mlp(in: first, out: second) }
            let hiddenGradient = second.backward(input: cache.hidden, outputGradient: outputGradient, rows: cache.rows)
            let preGradient = GELUActivation.backward(input: cache.preActivation, outputGradient: hiddenGradient)
            return first.backward(input: cache.input, outputGradient: preGradient, rows: cache.rows)
        case .token(var block):
            defer { layers = .token(block) }
            return block.backward(outputGradient: outputGradient)
        }
    }

    // MARK: Per group mean

    /// For each group of rows of `input` (rows of ``inFeatures`` values; `groups` are ranges of
    /// row indices), the mean over the group of the per-row outputs; returns
    /// `[groups.count, out]` and caches what ``backwardMean(outputGradient:)`` needs.
    ///
    /// With dropout on, the mask is drawn over the groups' rows in order, as a per-row
    /// ``forward(_:rows:)`` of those rows gathered would draw it.
    ///
    /// - Precondition: no group is empty and every row lies inside `input`.
    public mutating func forwardMean(_ input: Tensor, groups: [Range<Int>]) -> [Float] {
        forwardMean(input, groups: RowGroups(groups))
    }

    /// ``forwardMean(_:groups:)`` without caching or dropout, whatever ``isTraining`` says.
    public func meanOutput(_ input: Tensor, groups: [Range<Int>]) -> [Float] {
        meanOutput(input, groups: RowGroups(groups))
    }

    /// Backward pass through the latest ``forwardMean(_:groups:)`` given dLoss/dY
    /// (`[groups, out]`): accumulates every parameter gradient. No input gradient is formed.
    /// The pass consumes the cache, so one backward pass follows each forward pass.
    ///
    /// - Precondition: ``forwardMean(_:groups:)`` ran first.
    public mutating func backwardMean(outputGradient: [Float]) {
        guard var cache = meanCache else { preconditionFailure("ProjectorBranch.backwardMean without a forwardMean before it") }
        meanCache = nil
        let groups = cache.groups
        precondition(outputGradient.count == groups.count * outFeatures, "ProjectorBranch: backwardMean expected \(groups.count)×\(outFeatures) gradients, got \(outputGradient.count)")
        // Moved out of the cache so that it is uniquely held and becomes dLoss/dpre in place.
        var preGradient = cache.derivative
        cache.derivative = []
        switch layers.take() {
        case .none, .identity:
            break
        case .linear(var layer):
            ProjectorKernels.linearParameterGradients(&layer, input: cache.input, outputGradient: outputGradient, rows: groups.count)
            layers = .linear(layer)
        case .mlp(var first, var second):
            Self.mlpMeanBackward(&first, &second, input: cache.input, hiddenMean: cache.hiddenMean, preGradient: &preGradient, outputGradient: outputGradient, groups: groups)
            layers = .mlp(in: first, out: second)
        case .token(var block):
            tokenMeanBackward(&block, cache: cache, preGradient: &preGradient, outputGradient: outputGradient)
            layers = .token(block)
        }
        scratch.give(preGradient)
        scratch.give(cache.normalized)
        // Empty, so dropped, for the kinds whose input is not a pool buffer.
        scratch.give(cache.input)
        if spareMask.isEmpty { spareMask = cache.mask }
    }

    /// The parameter gradients of an mlp branch from dLoss/dY at the group means; `preGradient`
    /// holds GELU′ of the first layer's output and becomes dLoss/dpre.
    private static func mlpMeanBackward(
        _ first: inout Linear, _ second: inout Linear, input: [Float], hiddenMean: [Float],
        preGradient: inout [Float], outputGradient: [Float], groups: RowGroups
    ) {
        ProjectorKernels.linearParameterGradients(&second, input: hiddenMean, outputGradient: outputGradient, rows: groups.count)
        let hiddenMeanGradient = ProjectorKernels.linearInputGradient(second, outputGradient: outputGradient, rows: groups.count)
        ProjectorKernels.geluGroupBackward(&preGradient, width: second.inFeatures, groups: groups, meanGradient: hiddenMeanGradient)
        ProjectorKernels.linearParameterGradients(&first, input: input, outputGradient: preGradient, rows: groups.totalRows)
    }

    /// The parameter gradients of a token branch from dLoss/dY at the group means; `preGradient`
    /// holds GELU′ of `mlp.0`'s output and becomes dLoss/dpre.
    private mutating func tokenMeanBackward(
        _ block: inout TokenProjector, cache: MeanCache, preGradient: inout [Float], outputGradient: [Float]
    ) {
        let groups = cache.groups
        let (count, rows) = (groups.count, groups.totalRows)
        ProjectorKernels.linearParameterGradients(&block.linear, input: cache.inputMean, outputGradient: outputGradient, rows: count)
        ProjectorKernels.linearParameterGradients(&block.mlpOut, input: cache.hiddenMean, outputGradient: outputGradient, rows: count)
        let inputMeanGradient = ProjectorKernels.linearInputGradient(block.linear, outputGradient: outputGradient, rows: count)
        let hiddenMeanGradient = ProjectorKernels.linearInputGradient(block.mlpOut, outputGradient: outputGradient, rows: count)
        ProjectorKernels.geluGroupBackward(&preGradient, width: outFeatures, groups: groups, meanGradient: hiddenMeanGradient)
        let kept = 1 / (1 - block.dropoutProbability)
        var buffer = scratch.take(rows * inFeatures)
        // n again, for mlp.0's weight gradient.
        ProjectorKernels.renormalize(cache.normalized, rows: rows, norm: block.norm, mask: cache.mask, kept: kept, into: &buffer)
        ProjectorKernels.linearParameterGradients(&block.mlpIn, input: buffer, outputGradient: preGradient, rows: rows)
        // dN = dMean(n)/count broadcast + dPre · W_b.
        ProjectorKernels.broadcastGroupMeanGradient(inputMeanGradient, width: inFeatures, groups: groups, into: &buffer)
        ProjectorKernels.linearInputGradient(block.mlpIn, outputGradient: preGradient, rows: rows, into: &buffer, accumulate: true)
        ProjectorKernels.layerNormParameterGradients(
            &block.norm, normalizedGradient: buffer, normalized: cache.normalized, rows: rows, mask: cache.mask, kept: kept)
        scratch.give(buffer)
    }

    /// ``forwardMean(_:groups:)`` on prepared groups.
    mutating func forwardMean(_ input: Tensor, groups: RowGroups) -> [Float] {
        var dropout: ProjectorRandom?
        if kind == .token && isTraining && dropoutProbability > 0 {
            precondition(dropoutProbability < 1, "ProjectorBranch: dropout probability must be below 1")
            dropout = dropoutRandom
            dropoutRandom.skip(groups.totalRows * inFeatures)
        }
        // A forward pass without its backward pass leaves buffers to recycle.
        if let stale = meanCache {
            scratch.give(stale.derivative)
            scratch.give(stale.normalized)
            scratch.give(stale.input)
            meanCache = nil
        }
        // Moved out, so that the pool's arrays stay uniquely held while the (non-mutating)
        // pass runs on a copy of the branch.
        var mask = spareMask
        spareMask = []
        var pool = scratch
        scratch = ScratchPool()
        let (output, cache) = meanPass(input, groups: groups, dropout: dropout, keepCache: true, pool: &pool, mask: &mask)
        scratch = pool
        meanCache = cache
        return output
    }

    /// ``meanOutput(_:groups:)`` on prepared groups.
    func meanOutput(_ input: Tensor, groups: RowGroups) -> [Float] {
        var pool = ScratchPool()
        var mask: [UInt8] = []
        return meanPass(input, groups: groups, dropout: nil, keepCache: false, pool: &pool, mask: &mask).output
    }

    /// The grouped-mean forward pass; large buffers come from `pool`, and `mask` is reused for
    /// the dropout mask when dropout is on.
    private func meanPass(
        _ source: Tensor, groups: RowGroups, dropout: ProjectorRandom?, keepCache: Bool,
        pool: inout ScratchPool, mask: inout [UInt8]
    ) -> (output: [Float], cache: MeanCache?) {
        precondition(groups.sourceEnd * inFeatures <= source.count, "ProjectorBranch: groups reach row \(groups.sourceEnd) of an input of \(source.count / max(inFeatures, 1)) rows")
        let count = groups.count
        let rows = groups.totalRows
        let (inWidth, outWidth) = (inFeatures, outFeatures)
        var output = ProjectorKernels.uninitialized(count * outWidth)
        var cache = MeanCache(groups: groups)
        guard source.count > 0 else {
            return ([Float](repeating: 0, count: count * outWidth), keepCache ? cache : nil)
        }
        switch layers {
        case .none:
            output = [Float](repeating: 0, count: count * outWidth)
        case .identity:
            ProjectorKernels.groupMean(source, width: inWidth, groups: groups, into: &output)
        case .linear(let layer):
            var mean = keepCache ? pool.take(count * inWidth) : ProjectorKernels.uninitialized(count * inWidth)
            ProjectorKernels.groupMean(source, width: inWidth, groups: groups, into: &mean)
            ProjectorKernels.linearForward(layer, input: mean, rows: count, into: &output, rowIndependent: !keepCache)
            if keepCache { cache.input = mean }
        case .mlp(let first, let second):
            var gathered = pool.take(rows * inWidth)
            var preActivation = pool.take(rows * outWidth)
            var hiddenMean = ProjectorKernels.uninitialized(count * outWidth)
            ProjectorKernels.gather(source, width: inWidth, groups: groups, into: &gathered)
            ProjectorKernels.linearForward(first, input: gathered, rows: rows, into: &preActivation, rowIndependent: !keepCache)
            ProjectorKernels.geluGroupMean(&preActivation, width: outWidth, groups: groups, keepingDerivative: keepCache, into: &hiddenMean)
            ProjectorKernels.linearForward(second, input: hiddenMean, rows: count, into: &output, rowIndependent: !keepCache)
            if keepCache {
                cache.input = gathered
                cache.derivative = preActivation
                cache.hiddenMean = hiddenMean
            } else {
                pool.give(gathered)
                pool.give(preActivation)
            }
        case .token(let block):
            var normalized = keepCache ? pool.take(rows * inWidth) : []
            var projected = pool.take(rows * inWidth)
            var inputMean = ProjectorKernels.uninitialized(count * inWidth)
            var preActivation = pool.take(rows * outWidth)
            var hiddenMean = ProjectorKernels.uninitialized(count * outWidth)
            let keepMask = dropout != nil && keepCache
            if !keepMask {
                mask = []
            } else if mask.count != rows * inWidth {
                mask = [UInt8](unsafeUninitializedCapacity: rows * inWidth) { _, initialized in initialized = rows * inWidth }
            }
            ProjectorKernels.normalizeGroups(
                source, width: inWidth, groups: groups, norm: block.norm,
                dropout: dropout, probability: block.dropoutProbability, mask: &mask,
                normalized: &normalized, output: &projected, groupMean: &inputMean)
            ProjectorKernels.linearForward(block.mlpIn, input: projected, rows: rows, into: &preActivation, rowIndependent: !keepCache)
            ProjectorKernels.geluGroupMean(&preActivation, width: outWidth, groups: groups, keepingDerivative: keepCache, into: &hiddenMean)
            ProjectorKernels.linearForward(block.linear, input: inputMean, rows: count, into: &output, rowIndependent: !keepCache)
            ProjectorKernels.linearForward(
                block.mlpOut, input: hiddenMean, rows: count, into: &output, accumulate: true, rowIndependent: !keepCache)
            pool.give(projected)
            if keepCache {
                cache.normalized = normalized
                cache.derivative = preActivation
                cache.inputMean = inputMean
                cache.hiddenMean = hiddenMean
                cache.mask = mask
                mask = []
            } else {
                pool.give(preActivation)
            }
        }
        return (output, keepCache ? cache : nil)
    }
}
