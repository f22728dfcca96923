/// One branch of a ``PairProjector``: a ``BranchKind`` applied to each row it is given, with
/// explicit forward and backward passes.
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

    /// The kind.
    public let kind: BranchKind
    /// The input width.
    public let inFeatures: Int
    /// The output width (also the hidden width of ``BranchKind/mlp`` and ``BranchKind/token``).
    public let outFeatures: Int
    /// The layer of a ``BranchKind/linear`` branch (`linear.*`); nil for other kinds.
    public var linear: Linear?
    /// The first layer of a ``BranchKind/mlp`` branch (`mlp.0.*`); nil for other kinds.
    public var mlpIn: Linear?
    /// The last layer of a ``BranchKind/mlp`` branch (`mlp.2.*`); nil for other kinds.
    public var mlpOut: Linear?
    /// The block of a ``BranchKind/token`` branch; nil for other kinds.
    public var token: TokenProjector?
    /// Whether forward passes apply dropout (``BranchKind/token`` only); false by default.
    public var isTraining: Bool {
        get { token?.isTraining ?? false }
        set { token?.isTraining = newValue }
    }
    /// The dropout probability of a ``BranchKind/token`` branch; 0 for other kinds, where
    /// setting it has no effect.
    public var dropoutProbability: Float {
        get { token?.dropoutProbability ?? 0 }
        set { token?.dropoutProbability = newValue }
    }
    /// The generator dropout masks come from (``BranchKind/token`` only; setting it on other
    /// kinds has no effect).
    public var dropoutRandom: ProjectorRandom {
        get { token?.dropoutRandom ?? ProjectorRandom(seed: 0) }
        set { token?.dropoutRandom = newValue }
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
        self.kind = kind
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        switch kind {
        case .none, .identity:
            break
        case .linear:
            linear = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
        case .mlp:
            mlpIn = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
            mlpOut = Linear(inFeatures: outFeatures, outFeatures: outFeatures, random: &random)
        case .token:
            token = TokenProjector(inFeatures: inFeatures, hiddenFeatures: outFeatures, outFeatures: outFeatures, random: &random)
        }
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
        switch kind {
        case .none, .identity:
            break
        case .linear:
            body("linear.weight", &linear!.weight)
            body("linear.bias", &linear!.bias)
        case .mlp:
            body("mlp.0.weight", &mlpIn!.weight)
            body("mlp.0.bias", &mlpIn!.bias)
            body("mlp.2.weight", &mlpOut!.weight)
            body("mlp.2.bias", &mlpOut!.bias)
        case .token:
            body("norm.weight", &token!.norm.weight)
            body("norm.bias", &token!.norm.bias)
            body("linear.weight", &token!.linear.weight)
            body("linear.bias", &token!.linear.bias)
            body("mlp.0.weight", &token!.mlpIn.weight)
            body("mlp.0.bias", &token!.mlpIn.bias)
            body("mlp.2.weight", &token!.mlpOut.weight)
            body("mlp.2.bias", &token!.mlpOut.bias)
        }
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
        switch kind {
        case .none:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            return [Float](repeating: 0, count: rows * outFeatures)
        case .identity:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            return input
        case .linear:
            rowCache = RowCache(rows: rows, input: input, preActivation: [], hidden: [])
            return linear!.forward(input, rows: rows)
        case .mlp:
            let preActivation = mlpIn!.forward(input, rows: rows)
            let hidden = GELUActivation.forward(preActivation)
            rowCache = RowCache(rows: rows, input: input, preActivation: preActivation, hidden: hidden)
            return mlpOut!.forward(hidden, rows: rows)
        case .token:
            rowCache = RowCache(rows: rows, input: [], preActivation: [], hidden: [])
            return token!.forward(input, rows: rows)
        }
    }

    /// Backward pass through the latest ``forward(_:rows:)``: accumulates every parameter
    /// gradient and returns dLoss/dX, `[rows, in]`.
    ///
    /// - Precondition: ``forward(_:rows:)`` ran first.
    public mutating func backward(outputGradient: [Float]) -> [Float] {
        guard let cache = rowCache else { preconditionFailure("ProjectorBranch.backward before forward") }
        precondition(outputGradient.count == cache.rows * outFeatures, "ProjectorBranch: backward shape mismatch")
        switch kind {
        case .none:
            return [Float](repeating: 0, count: cache.rows * inFeatures)
        case .identity:
            return outputGradient
        case .linear:
            return linear!.backward(input: cache.input, outputGradient: outputGradient, rows: cache.rows)
        case .mlp:
            let hiddenGradient = mlpOut!.backward(input: cache.hidden, outputGradient: outputGradient, rows: cache.rows)
            let preGradient = GELUActivation.backward(input: cache.preActivation, outputGradient: hiddenGradient)
            return mlpIn!.backward(input: cache.input, outputGradient: preGradient, rows: cache.rows)
        case .token:
            return token!.backward(outputGradient: outputGradient)
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
    public mutating func forwardMean(_ input: UnsafeBufferPointer<Float>, groups: [Range<Int>]) -> [Float] {
        forwardMean(input, groups: RowGroups(groups))
    }

    /// ``forwardMean(_:groups:)`` without caching or dropout, whatever ``isTraining`` says.
    public func meanOutput(_ input: UnsafeBufferPointer<Float>, groups: [Range<Int>]) -> [Float] {
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
        let rows = groups.totalRows
        let count = groups.count
        let (inWidth, outWidth) = (inFeatures, outFeatures)
        // Moved out of the cache so that it is uniquely held and becomes dLoss/dpre in place.
        var preGradient = cache.derivative
        cache.derivative = []
        outputGradient.withUnsafeBufferPointer { dy in
            let dy = dy.baseAddress!
            switch kind {
            case .none, .identity:
                break
            case .linear:
                cache.input.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&linear!, input: $0.baseAddress!, outputGradient: dy, rows: count) }
            case .mlp:
                cache.hiddenMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&mlpOut!, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                let hiddenMeanGradient = Self.inputGradient(mlpOut!, dy, rows: count)
                Self.scaleByGroupGradient(&preGradient, hiddenMeanGradient, width: outWidth, groups: groups)
                cache.input.withUnsafeBufferPointer { x in
                    preGradient.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&mlpIn!, input: x.baseAddress!, outputGradient: $0.baseAddress!, rows: rows) }
                }
            case .token:
                cache.inputMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&token!.linear, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                cache.hiddenMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&token!.mlpOut, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                let inputMeanGradient = Self.inputGradient(token!.linear, dy, rows: count)
                let hiddenMeanGradient = Self.inputGradient(token!.mlpOut, dy, rows: count)
                Self.scaleByGroupGradient(&preGradient, hiddenMeanGradient, width: outWidth, groups: groups)
                let kept = 1 / (1 - token!.dropoutProbability)
                var buffer = scratch.take(rows * inWidth)
                var weightGradient = token!.norm.weight.gradient
                var biasGradient = token!.norm.bias.gradient
                token!.norm.weight.gradient = []
                token!.norm.bias.gradient = []
                cache.normalized.withUnsafeBufferPointer { xhat in
                    cache.mask.withUnsafeBufferPointer { mask in
                        preGradient.withUnsafeBufferPointer { preGradient in
                            buffer.withUnsafeMutableBufferPointer { buffer in
                                let (xhat, preGradient, buffer) = (xhat.baseAddress!, preGradient.baseAddress!, buffer.baseAddress!)
                                let mask = cache.mask.isEmpty ? nil : mask.baseAddress
                                token!.norm.weight.value.withUnsafeBufferPointer { gamma in
                                    token!.norm.bias.value.withUnsafeBufferPointer { beta in
                                        // n again, for mlp.0's weight gradient.
                                        ProjectorKernels.renormalize(
                                            normalized: xhat, rows: rows, width: inWidth, weight: gamma.baseAddress!, bias: beta.baseAddress!,
                                            mask: mask, kept: kept, output: buffer)
                                    }
                                }
                                ProjectorKernels.linearParameterGradients(&token!.mlpIn, input: buffer, outputGradient: preGradient, rows: rows)
                                // dN = dMean(n)/count broadcast + dPre · W_b.
                                inputMeanGradient.withUnsafeBufferPointer {
                                    ProjectorKernels.broadcastGroupMeanGradient($0.baseAddress!, width: inWidth, groups: groups, output: buffer)
                                }
                                ProjectorKernels.linearInputGradient(token!.mlpIn, outputGradient: preGradient, rows: rows, output: buffer, accumulate: true)
                                weightGradient.withUnsafeMutableBufferPointer { dw in
                                    biasGradient.withUnsafeMutableBufferPointer { db in
                                        ProjectorKernels.layerNormParameterGradients(
                                            normalizedGradient: buffer, normalized: xhat, rows: rows, width: inWidth,
                                            mask: mask, kept: kept, weightGradient: dw.baseAddress!, biasGradient: db.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
                token!.norm.weight.gradient = weightGradient
                token!.norm.bias.gradient = biasGradient
                scratch.give(buffer)
            }
        }
        scratch.give(preGradient)
        scratch.give(cache.normalized)
        if kind == .mlp || kind == .linear { scratch.give(cache.input) }
        if spareMask.isEmpty { spareMask = cache.mask }
    }

    /// dY · W for `layer` on `rows` rows.
    private static func inputGradient(_ layer: Linear, _ outputGradient: UnsafePointer<Float>, rows: Int) -> [Float] {
        var result = uninitialized(rows * layer.inFeatures)
        result.withUnsafeMutableBufferPointer { ProjectorKernels.linearInputGradient(layer, outputGradient: outputGradient, rows: rows, output: $0.baseAddress!) }
        return result
    }

    /// GELU′(pre) → dLoss/dpre in place, from the gradient at the group means of GELU(pre).
    private static func scaleByGroupGradient(_ derivative: inout [Float], _ meanGradient: [Float], width: Int, groups: RowGroups) {
        derivative.withUnsafeMutableBufferPointer { d in
            meanGradient.withUnsafeBufferPointer { g in
                ProjectorKernels.geluGroupBackward(derivative: d.baseAddress!, width: width, groups: groups, meanGradient: g.baseAddress!)
            }
        }
    }

    /// ``forwardMean(_:groups:)`` on prepared groups.
    mutating func forwardMean(_ input: UnsafeBufferPointer<Float>, groups: RowGroups) -> [Float] {
        var dropout: ProjectorRandom?
        if kind == .token && isTraining && dropoutProbability > 0 {
            precondition(dropoutProbability < 1, "ProjectorBranch: dropout probability must be below 1")
            dropout = token!.dropoutRandom
            token!.dropoutRandom.skip(groups.totalRows * inFeatures)
        }
        // A forward pass without its backward pass leaves buffers to recycle.
        if let stale = meanCache {
            scratch.give(stale.derivative)
            scratch.give(stale.normalized)
            if kind == .mlp || kind == .linear { scratch.give(stale.input) }
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
    func meanOutput(_ input: UnsafeBufferPointer<Float>, groups: RowGroups) -> [Float] {
        var pool = ScratchPool()
        var mask: [UInt8] = []
        return meanPass(input, groups: groups, dropout: nil, keepCache: false, pool: &pool, mask: &mask).output
    }

    /// An array of `count` floats whose contents the caller overwrites before reading.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// The grouped-mean forward pass; large buffers come from `pool`, and `mask` is reused for
    /// the dropout mask when dropout is on.
    private func meanPass(
        _ input: UnsafeBufferPointer<Float>, groups: RowGroups, dropout: ProjectorRandom?, keepCache: Bool,
        pool: inout ScratchPool, mask: inout [UInt8]
    ) -> (output: [Float], cache: MeanCache?) {
        precondition(groups.sourceEnd * inFeatures <= input.count, "ProjectorBranch: groups reach row \(groups.sourceEnd) of an input of \(input.count / max(inFeatures, 1)) rows")
        let count = groups.count
        let rows = groups.totalRows
        let (inWidth, outWidth) = (inFeatures, outFeatures)
        var output = Self.uninitialized(count * outWidth)
        var cache = MeanCache(groups: groups)
        guard let source = input.baseAddress else {
            return ([Float](repeating: 0, count: count * outWidth), keepCache ? cache : nil)
        }
        switch kind {
        case .none:
            output.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: count * outWidth) }
        case .identity:
            output.withUnsafeMutableBufferPointer { ProjectorKernels.groupMean(input: source, width: inWidth, groups: groups, output: $0.baseAddress!) }
        case .linear:
            var mean = keepCache ? pool.take(count * inWidth) : Self.uninitialized(count * inWidth)
            mean.withUnsafeMutableBufferPointer { mean in
                output.withUnsafeMutableBufferPointer { output in
                    ProjectorKernels.groupMean(input: source, width: inWidth, groups: groups, output: mean.baseAddress!)
                    ProjectorKernels.linearForward(linear!, input: mean.baseAddress!, rows: count, output: output.baseAddress!)
                }
            }
            if keepCache { cache.input = mean }
        case .mlp:
            var gathered = pool.take(rows * inWidth)
            var preActivation = pool.take(rows * outWidth)
            var hiddenMean = Self.uninitialized(count * outWidth)
            gathered.withUnsafeMutableBufferPointer { gathered in
                preActivation.withUnsafeMutableBufferPointer { pre in
                    hiddenMean.withUnsafeMutableBufferPointer { hiddenMean in
                        output.withUnsafeMutableBufferPointer { output in
                            ProjectorKernels.gather(input: source, width: inWidth, groups: groups, output: gathered.baseAddress!)
                            ProjectorKernels.linearForward(mlpIn!, input: gathered.baseAddress!, rows: rows, output: pre.baseAddress!)
                            ProjectorKernels.geluGroupMean(preActivation: pre.baseAddress!, width: outWidth, groups: groups, derivative: keepCache, groupMean: hiddenMean.baseAddress!)
                            ProjectorKernels.linearForward(mlpOut!, input: hiddenMean.baseAddress!, rows: count, output: output.baseAddress!)
                        }
                    }
                }
            }
            if keepCache {
                cache.input = gathered
                cache.derivative = preActivation
                cache.hiddenMean = hiddenMean
            } else {
                pool.give(gathered)
                pool.give(preActivation)
            }
        case .token:
            let block = token!
            var normalized = keepCache ? pool.take(rows * inWidth) : []
            var projected = pool.take(rows * inWidth)
            var inputMean = Self.uninitialized(count * inWidth)
            var preActivation = pool.take(rows * outWidth)
            var hiddenMean = Self.uninitialized(count * outWidth)
            let keepMask = dropout != nil && keepCache
            if keepMask && mask.count != rows * inWidth {
                mask = [UInt8](unsafeUninitializedCapacity: rows * inWidth) { _, initialized in initialized = rows * inWidth }
            }
            normalized.withUnsafeMutableBufferPointer { normalized in
                projected.withUnsafeMutableBufferPointer { projected in
                    inputMean.withUnsafeMutableBufferPointer { inputMean in
                        mask.withUnsafeMutableBufferPointer { maskBuffer in
                            block.norm.weight.value.withUnsafeBufferPointer { gamma in
                                block.norm.bias.value.withUnsafeBufferPointer { beta in
                                    ProjectorKernels.normalizeGroups(
                                        input: source, width: inWidth, groups: groups, epsilon: block.norm.epsilon,
                                        weight: gamma.baseAddress!, bias: beta.baseAddress!,
                                        dropout: dropout, probability: block.dropoutProbability, mask: keepMask ? maskBuffer.baseAddress! : nil,
                                        normalized: keepCache ? normalized.baseAddress! : nil, output: projected.baseAddress!,
                                        groupMean: inputMean.baseAddress!)
                                }
                            }
                        }
                        preActivation.withUnsafeMutableBufferPointer { pre in
                            hiddenMean.withUnsafeMutableBufferPointer { hiddenMean in
                                output.withUnsafeMutableBufferPointer { output in
                                    let output = output.baseAddress!
                                    ProjectorKernels.linearForward(block.mlpIn, input: projected.baseAddress!, rows: rows, output: pre.baseAddress!)
                                    ProjectorKernels.geluGroupMean(preActivation: pre.baseAddress!, width: outWidth, groups: groups, derivative: keepCache, groupMean: hiddenMean.baseAddress!)
                                    ProjectorKernels.linearForward(block.linear, input: inputMean.baseAddress!, rows: count, output: output)
                                    ProjectorKernels.linearForward(block.mlpOut, input: hiddenMean.baseAddress!, rows: count, output: output, accumulate: true)
                                }
                            }
                        }
                    }
                }
            }
            pool.give(projected)
            if keepCache {
                cache.normalized = normalized
                cache.derivative = preActivation
                cache.inputMean = inputMean
                cache.hiddenMean = hiddenMean
                if keepMask {
                    cache.mask = mask
                    mask = []
                }
            } else {
                pool.give(preActivation)
            }
        }
        return (output, keepCache ? cache : nil)
    }
}
