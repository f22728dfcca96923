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
        /// mlp, token: the first layer's output before GELU, `[rows, hidden]`.
        var preActivation: [Float] = []
        /// token: the group means of the LayerNorm+dropout output, `[groups, in]`.
        var inputMean: [Float] = []
        /// mlp, token: the group means of GELU(pre), `[groups, hidden]`.
        var hiddenMean: [Float] = []
        /// token: the generator as it was before the forward pass drew its mask; nil when
        /// dropout was off.
        var dropout: ProjectorRandom?
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
        // Moved out of the cache so that it is uniquely referenced and turns into dLoss/dpre in
        // place, without a copy.
        var preActivation = cache.preActivation
        cache.preActivation = []
        let groups = cache.groups
        precondition(outputGradient.count == groups.count * outFeatures, "ProjectorBranch: backwardMean expected \(groups.count)×\(outFeatures) gradients, got \(outputGradient.count)")
        let rows = groups.totalRows
        let count = groups.count
        outputGradient.withUnsafeBufferPointer { dy in
            let dy = dy.baseAddress!
            switch kind {
            case .none, .identity:
                break
            case .linear:
                cache.input.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&linear!, input: $0.baseAddress!, outputGradient: dy, rows: count) }
            case .mlp:
                cache.hiddenMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&mlpOut!, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                var hiddenMeanGradient = Self.uninitialized(count * outFeatures)
                hiddenMeanGradient.withUnsafeMutableBufferPointer { ProjectorKernels.linearInputGradient(mlpOut!, outputGradient: dy, rows: count, output: $0.baseAddress!) }
                let input = cache.input
                backwardThroughFirstLayer(&preActivation, hiddenMeanGradient: hiddenMeanGradient, groups: groups) { preGradient, branch in
                    input.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&branch.mlpIn!, input: $0.baseAddress!, outputGradient: preGradient, rows: rows) }
                }
            case .token:
                let width = inFeatures
                cache.inputMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&token!.linear, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                cache.hiddenMean.withUnsafeBufferPointer { ProjectorKernels.linearParameterGradients(&token!.mlpOut, input: $0.baseAddress!, outputGradient: dy, rows: count) }
                var inputMeanGradient = Self.uninitialized(count * width)
                inputMeanGradient.withUnsafeMutableBufferPointer { ProjectorKernels.linearInputGradient(token!.linear, outputGradient: dy, rows: count, output: $0.baseAddress!) }
                var hiddenMeanGradient = Self.uninitialized(count * outFeatures)
                hiddenMeanGradient.withUnsafeMutableBufferPointer { ProjectorKernels.linearInputGradient(token!.mlpOut, outputGradient: dy, rows: count, output: $0.baseAddress!) }
                let probability = token!.dropoutProbability
                let dropout = cache.dropout
                let normalized = cache.normalized
                backwardThroughFirstLayer(&preActivation, hiddenMeanGradient: hiddenMeanGradient, groups: groups) { preGradient, branch in
                    var buffer = Self.uninitialized(rows * width)
                    let gamma = branch.token!.norm.weight.value
                    let beta = branch.token!.norm.bias.value
                    normalized.withUnsafeBufferPointer { xhat in
                        buffer.withUnsafeMutableBufferPointer { buffer in
                            let buffer = buffer.baseAddress!
                            gamma.withUnsafeBufferPointer { gamma in
                                beta.withUnsafeBufferPointer { beta in
                                    // n again, for mlp.0's weight gradient.
                                    ProjectorKernels.renormalize(
                                        normalized: xhat.baseAddress!, rows: rows, width: width,
                                        weight: gamma.baseAddress!, bias: beta.baseAddress!,
                                        dropout: dropout, probability: probability, output: buffer)
                                }
                            }
                            ProjectorKernels.linearParameterGradients(&branch.token!.mlpIn, input: buffer, outputGradient: preGradient, rows: rows)
                            // dN = dMean(n)/count broadcast + dPre · W_b.
                            inputMeanGradient.withUnsafeBufferPointer {
                                ProjectorKernels.broadcastGroupMeanGradient($0.baseAddress!, width: width, groups: groups, output: buffer)
                            }
                            ProjectorKernels.linearInputGradient(branch.token!.mlpIn, outputGradient: preGradient, rows: rows, output: buffer, accumulate: true)
                            var weightGradient = branch.token!.norm.weight.gradient
                            var biasGradient = branch.token!.norm.bias.gradient
                            branch.token!.norm.weight.gradient = []
                            branch.token!.norm.bias.gradient = []
                            weightGradient.withUnsafeMutableBufferPointer { dw in
                                biasGradient.withUnsafeMutableBufferPointer { db in
                                    ProjectorKernels.layerNormParameterGradients(
                                        normalizedGradient: buffer, normalized: xhat.baseAddress!, rows: rows, width: width,
                                        dropout: dropout, probability: probability,
                                        weightGradient: dw.baseAddress!, biasGradient: db.baseAddress!)
                                }
                            }
                            branch.token!.norm.weight.gradient = weightGradient
                            branch.token!.norm.bias.gradient = biasGradient
                        }
                    }
                }
            }
        }
    }

    /// Turns `preActivation` into dLoss/dpre in place from the gradient at the group means of
    /// GELU(pre), then hands it to `body` with the branch for the first layer's gradients.
    private mutating func backwardThroughFirstLayer(
        _ preActivation: inout [Float], hiddenMeanGradient: [Float], groups: RowGroups,
        _ body: (UnsafePointer<Float>, inout ProjectorBranch) -> Void
    ) {
        let width = outFeatures
        preActivation.withUnsafeMutableBufferPointer { pre in
            hiddenMeanGradient.withUnsafeBufferPointer { gradient in
                ProjectorKernels.geluGroupBackward(preActivation: pre.baseAddress!, width: width, groups: groups, meanGradient: gradient.baseAddress!)
            }
            body(UnsafePointer(pre.baseAddress!), &self)
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
        let (output, cache) = meanPass(input, groups: groups, dropout: dropout, keepCache: true)
        meanCache = cache
        return output
    }

    /// ``meanOutput(_:groups:)`` on prepared groups.
    func meanOutput(_ input: UnsafeBufferPointer<Float>, groups: RowGroups) -> [Float] {
        meanPass(input, groups: groups, dropout: nil, keepCache: false).output
    }

    /// An array of `count` floats whose contents the caller overwrites before reading.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// The grouped-mean forward pass.
    private func meanPass(_ input: UnsafeBufferPointer<Float>, groups: RowGroups, dropout: ProjectorRandom?, keepCache: Bool) -> (output: [Float], cache: MeanCache?) {
        precondition(groups.sourceEnd * inFeatures <= input.count, "ProjectorBranch: groups reach row \(groups.sourceEnd) of an input of \(input.count / max(inFeatures, 1)) rows")
        let count = groups.count
        let rows = groups.totalRows
        let (inWidth, outWidth) = (inFeatures, outFeatures)
        var output = Self.uninitialized(count * outWidth)
        var cache = MeanCache(groups: groups)
        guard let source = input.baseAddress else {
            return ([Float](repeating: 0, count: count * outWidth), keepCache ? cache : nil)
        }
        output.withUnsafeMutableBufferPointer { output in
            let output = output.baseAddress!
            switch kind {
            case .none:
                output.update(repeating: 0, count: count * outWidth)
            case .identity:
                ProjectorKernels.groupMean(input: source, width: inWidth, groups: groups, output: output)
            case .linear:
                var mean = Self.uninitialized(count * inWidth)
                mean.withUnsafeMutableBufferPointer { mean in
                    ProjectorKernels.groupMean(input: source, width: inWidth, groups: groups, output: mean.baseAddress!)
                    ProjectorKernels.linearForward(linear!, input: mean.baseAddress!, rows: count, output: output)
                }
                if keepCache { cache.input = mean }
            case .mlp:
                var gathered = Self.uninitialized(rows * inWidth)
                var preActivation = Self.uninitialized(rows * outWidth)
                var hiddenMean = Self.uninitialized(count * outWidth)
                gathered.withUnsafeMutableBufferPointer { gathered in
                    preActivation.withUnsafeMutableBufferPointer { pre in
                        hiddenMean.withUnsafeMutableBufferPointer { hiddenMean in
                            ProjectorKernels.gather(input: source, width: inWidth, groups: groups, output: gathered.baseAddress!)
                            ProjectorKernels.linearForward(mlpIn!, input: gathered.baseAddress!, rows: rows, output: pre.baseAddress!)
                            ProjectorKernels.geluGroupMean(preActivation: pre.baseAddress!, width: outWidth, groups: groups, activated: nil, groupMean: hiddenMean.baseAddress!)
                            ProjectorKernels.linearForward(mlpOut!, input: hiddenMean.baseAddress!, rows: count, output: output)
                        }
                    }
                }
                if keepCache {
                    cache.input = gathered
                    cache.preActivation = preActivation
                    cache.hiddenMean = hiddenMean
                }
            case .token:
                let block = token!
                var normalized = keepCache ? Self.uninitialized(rows * inWidth) : []
                var projected = Self.uninitialized(rows * inWidth)
                var inputMean = Self.uninitialized(count * inWidth)
                var preActivation = Self.uninitialized(rows * outWidth)
                var hiddenMean = Self.uninitialized(count * outWidth)
                normalized.withUnsafeMutableBufferPointer { normalized in
                    projected.withUnsafeMutableBufferPointer { projected in
                        inputMean.withUnsafeMutableBufferPointer { inputMean in
                            block.norm.weight.value.withUnsafeBufferPointer { gamma in
                                block.norm.bias.value.withUnsafeBufferPointer { beta in
                                    ProjectorKernels.normalizeGroups(
                                        input: source, width: inWidth, groups: groups, epsilon: block.norm.epsilon,
                                        weight: gamma.baseAddress!, bias: beta.baseAddress!,
                                        dropout: dropout, probability: block.dropoutProbability,
                                        normalized: keepCache ? normalized.baseAddress! : nil, output: projected.baseAddress!,
                                        groupMean: inputMean.baseAddress!)
                                }
                            }
                            preActivation.withUnsafeMutableBufferPointer { pre in
                                hiddenMean.withUnsafeMutableBufferPointer { hiddenMean in
                                    ProjectorKernels.linearForward(block.mlpIn, input: projected.baseAddress!, rows: rows, output: pre.baseAddress!)
                                    ProjectorKernels.geluGroupMean(preActivation: pre.baseAddress!, width: outWidth, groups: groups, activated: nil, groupMean: hiddenMean.baseAddress!)
                                    ProjectorKernels.linearForward(block.linear, input: inputMean.baseAddress!, rows: count, output: output)
                                    ProjectorKernels.linearForward(block.mlpOut, input: hiddenMean.baseAddress!, rows: count, output: output, accumulate: true)
                                }
                            }
                        }
                    }
                }
                if keepCache {
                    cache.normalized = normalized
                    cache.preActivation = preActivation
                    cache.inputMean = inputMean
                    cache.hiddenMean = hiddenMean
                    cache.dropout = dropout
                }
            }
        }
        return (output, keepCache ? cache : nil)
    }
}
