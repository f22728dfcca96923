/// The trainable part of an image–text model over frozen encoders: the vision branches, the
/// text branch and the optional text head of a ``ProjectorArchitecture``, with forward and
/// backward passes for training and dropout-free inference helpers.
///
/// **Parameters** are named with their component's prefix, in this fixed order:
/// `vision.local.*`, `vision.cls.*`, `text.token.*`, `text.head.*`, each component's
/// parameters in its own documented order (``ProjectorBranch/parameters``,
/// ``TextProjectionHead/parameters``); components without parameters contribute none. The
/// temperature is not here: it stays in ``ContrastiveLoss`` as `logit_scale`.
///
/// **Training step.** Zero the gradients, call ``forwardVision(tokens:)`` and
/// ``forwardText(tokens:lengths:)`` (or the pooled forms), evaluate
/// ``ContrastiveLoss/evaluate(image:text:)`` on the raw outputs, pass its gradients
/// to ``backwardVision(outputGradient:)`` and ``backwardText(outputGradient:)``, then
/// ``step(optimizer:loss:learningRate:)``. Each backward pass consumes its forward pass's cache.
/// No input gradients are formed: the encoders are frozen.
///
/// Performance: every training product is one BLAS `sgemm` (the `embed…` helpers use zoo's packed
/// kernel, so a row embeds to the same bits whatever else is in the call); for the mean over tokens the last
/// linear layers of a branch run on the means (mean_r(W·a_r + b) = W·mean_r(a_r) + b), so only a
/// branch's first layer runs once per token.
public struct PairProjector: Sendable {
    /// The architecture, validated.
    public let architecture: ProjectorArchitecture
    /// Applied to each patch token (kind `none` without one).
    public var visionLocal: ProjectorBranch
    /// Applied to the CLS token or the pooled image embedding (kind `none` without one).
    public var visionCLS: ProjectorBranch
    /// Applied to every text token or to the pooled text embedding (kind `identity` when the
    /// architecture says identity or none).
    public var textToken: ProjectorBranch
    /// The text head, when the architecture has one.
    public var textHead: TextProjectionHead?
    /// Whether forward passes apply dropout (in token branches and the head); false by
    /// default. The `embed…` helpers never do.
    public var isTraining: Bool = false {
        didSet {
            visionLocal.isTraining = isTraining
            visionCLS.isTraining = isTraining
            textToken.isTraining = isTraining
            textHead?.isTraining = isTraining
        }
    }
    var visionBatch: Int?
    var textBatch: Int?

    /// The component prefixes, in parameter order.
    public static let componentPrefixes = ["vision.local", "vision.cls", "text.token", "text.head"]

    /// Creates a projector with deterministic random initialisation.
    ///
    /// One ``ProjectorRandom`` seeded with `seed` initialises, in order, the vision local
    /// branch, the vision CLS branch, the text branch and the head (each in its layers' order,
    /// weights then biases, uniform in ±1/√in as PyTorch); four more draws from it then seed the
    /// dropout generators of the same four components.
    ///
    /// - Throws: ``ProjectorArchitectureError`` when the architecture is invalid.
    public init(architecture: ProjectorArchitecture, seed: UInt64) throws(ProjectorArchitectureError) {
        try architecture.validate()
        self.architecture = architecture
        let a = architecture
        var random = ProjectorRandom(seed: seed)
        visionLocal = ProjectorBranch(kind: a.visionLocal, inFeatures: a.visionWidth, outFeatures: a.outputWidth, random: &random)
        visionCLS = ProjectorBranch(kind: a.visionCLS, inFeatures: a.visionWidth, outFeatures: a.outputWidth, random: &random)
        let textKind: BranchKind = a.textToken == .none ? .identity : a.textToken
        textToken = ProjectorBranch(kind: textKind, inFeatures: a.textWidth, outFeatures: a.textTokenOutputWidth, random: &random)
        if a.textHead {
            textHead = TextProjectionHead(inFeatures: a.textTokenOutputWidth, outFeatures: a.outputWidth, random: &random)
        }
        visionLocal.dropoutRandom = ProjectorRandom(seed: random.next())
        visionCLS.dropoutRandom = ProjectorRandom(seed: random.next())
        textToken.dropoutRandom = ProjectorRandom(seed: random.next())
        textHead?.dropoutRandom = ProjectorRandom(seed: random.next())
        visionLocal.dropoutProbability = a.dropout
        visionCLS.dropoutProbability = a.dropout
        textToken.dropoutProbability = a.dropout
        textHead?.dropoutProbability = a.dropout
    }

    // MARK: Parameters

    /// Every parameter with its full name, in the documented order.
    ///
    /// Setting assigns values and gradients back by position; names and shapes must match.
    /// For optimiser steps prefer ``updateParameters(_:)``, which avoids copying the arrays.
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
                precondition(index < newValue.count, "PairProjector: expected more than \(newValue.count) parameters")
                let source = newValue[index]
                precondition(source.name == name && source.shape == parameter.shape, "PairProjector: parameter \(source.name) \(source.shape) does not match \(name) \(parameter.shape)")
                parameter.value = source.value
                parameter.gradient = source.gradient
                index += 1
            }
            precondition(index == newValue.count, "PairProjector: expected \(index) parameters, got \(newValue.count)")
        }
    }

    /// The parameters' full names and shapes, in order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        parameters.map { ($0.name, $0.shape) }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Calls `body` on every parameter in place, in order, with its full name.
    mutating func visitParameters(_ body: (String, inout ProjectorParameter) -> Void) {
        visionLocal.visitParameters { body("vision.local." + $0, &$1) }
        visionCLS.visitParameters { body("vision.cls." + $0, &$1) }
        textToken.visitParameters { body("text.token." + $0, &$1) }
        textHead?.visitParameters { body("text.head." + $0, &$1) }
    }

    /// Hands `body` every parameter (full names, in order) as uniquely held arrays, so it can
    /// change values and gradients in place without copying, then puts them back.
    ///
    /// - Precondition: `body` leaves the same parameters (names, shapes) in the same order.
    public mutating func updateParameters<Result>(_ body: (inout [ProjectorParameter]) throws -> Result) rethrows -> Result {
        var taken: [ProjectorParameter] = []
        visitParameters { name, parameter in
            taken.append(ProjectorParameter(name: name, shape: parameter.shape, value: parameter.value, gradient: parameter.gradient, decay: parameter.decay))
            parameter.value = []
            parameter.gradient = []
        }
        let count = taken.count
        defer {
            precondition(taken.count == count, "PairProjector.updateParameters: \(count) parameters went in, \(taken.count) came back")
            var index = 0
            visitParameters { name, parameter in
                precondition(taken[index].name == name && taken[index].count == parameter.shape.reduce(1, *), "PairProjector.updateParameters: parameter \(index) is \(taken[index].name), expected \(name)")
                parameter.value = taken[index].value
                parameter.gradient = taken[index].gradient
                taken[index].value = []
                taken[index].gradient = []
                index += 1
            }
        }
        return try body(&taken)
    }

    /// One optimiser step over the projector's parameters and the loss's `logit_scale`, then
    /// the temperature clamp, all in place.
    public mutating func step(optimizer: inout AdamW, loss: inout ContrastiveLoss, learningRate: Float) {
        updateParameters { parameters in
            parameters.append(loss.logitScale)
            optimizer.update(&parameters, learningRate: learningRate)
            loss.logitScale = parameters.removeLast()
        }
        loss.clampTemperature()
    }

    /// Zeroes every parameter gradient.
    public mutating func zeroGradients() {
        visitParameters { _, parameter in parameter.zeroGradient() }
    }

    // MARK: Vision

    /// The row groups of the patch tokens and the CLS tokens of `batch` images of `tokens` tokens.
    private func visionGroups(batch: Int, tokensPerImage tokens: Int) -> (local: RowGroups?, cls: RowGroups?) {
        let skipped = 1 + architecture.visionRegisters
        precondition(architecture.input == .tokens, "PairProjector: the architecture takes pooled vision input")
        precondition(architecture.visionLocal == .none || tokens > skipped, "PairProjector: \(tokens) tokens per image leave no patch tokens after CLS and \(architecture.visionRegisters) registers")
        precondition(tokens >= 1, "PairProjector: images need at least one token")
        let local = architecture.visionLocal == .none ? nil : RowGroups(count: batch, rows: tokens - skipped, first: skipped, stride: tokens)
        let cls = architecture.visionCLS == .none ? nil : RowGroups(count: batch, rows: 1, first: 0, stride: tokens)
        return (local, cls)
    }

    /// Training forward pass on token input: `tokens` is `[batch, tokensPerImage, visionWidth]`
    /// (CLS, registers, patches per image); returns the raw (not normalised) image embeddings
    /// `[batch, outputWidth]`.
    public mutating func forwardVision(tokens: Tensor) -> Tensor {
        let (batch, tokensPerImage) = visionTokenShape(tokens)
        let (local, cls) = visionGroups(batch: batch, tokensPerImage: tokensPerImage)
        visionBatch = batch
        // Computed before `combine` is called: evaluating a method call on self first copies self,
        // which would share the branches' scratch buffers and force copies of them.
        let localOutput = local.map { visionLocal.forwardMean(tokens, groups: $0) }
        let clsOutput = cls.map { visionCLS.forwardMean(tokens, groups: $0) }
        return rows(Self.combine(localOutput, clsOutput), batch: batch)
    }

    /// Training forward pass on pooled input, `[batch, visionWidth]`; returns the raw image
    /// embeddings `[batch, outputWidth]`.
    public mutating func forwardVision(pooled: Tensor) -> Tensor {
        let batch = pooledRows(pooled, width: architecture.visionWidth, side: "vision")
        visionBatch = batch
        return rows(visionCLS.forwardMean(pooled, groups: RowGroups(count: batch, rows: 1, first: 0, stride: 1)), batch: batch)
    }

    /// Backward pass of the latest vision forward pass given dLoss/d(image embedding),
    /// `[batch, outputWidth]`: accumulates the vision parameters' gradients.
    public mutating func backwardVision(outputGradient: Tensor) {
        guard let batch = visionBatch else { preconditionFailure("PairProjector.backwardVision before forwardVision") }
        precondition(outputGradient.shape == [batch, architecture.outputWidth], "PairProjector: expected \(batch)×\(architecture.outputWidth) image gradients, got \(outputGradient.shape)")
        visionBatch = nil
        let gradient = outputGradient.scalars
        if architecture.visionLocal != .none { visionLocal.backwardMean(outputGradient: gradient) }
        if architecture.visionCLS != .none { visionCLS.backwardMean(outputGradient: gradient) }
    }

    /// L2-normalised image embeddings `[batch, outputWidth]` from token input
    /// `[batch, tokensPerImage, visionWidth]`, without dropout or caching.
    public func embedVision(tokens: Tensor) -> Tensor {
        let (batch, tokensPerImage) = visionTokenShape(tokens)
        let (local, cls) = visionGroups(batch: batch, tokensPerImage: tokensPerImage)
        var output = Self.combine(local.map { visionLocal.meanOutput(tokens, groups: $0) }, cls.map { visionCLS.meanOutput(tokens, groups: $0) })
        ProjectorKernels.l2NormalizeRows(&output, rows: batch, width: architecture.outputWidth)
        return rows(output, batch: batch)
    }

    /// L2-normalised image embeddings `[batch, outputWidth]` from pooled input
    /// `[batch, visionWidth]`, without dropout or caching.
    public func embedVision(pooled: Tensor) -> Tensor {
        let batch = pooledRows(pooled, width: architecture.visionWidth, side: "vision")
        var output = visionCLS.meanOutput(pooled, groups: RowGroups(count: batch, rows: 1, first: 0, stride: 1))
        ProjectorKernels.l2NormalizeRows(&output, rows: batch, width: architecture.outputWidth)
        return rows(output, batch: batch)
    }

    /// The batch size and tokens per image of vision token input, checked against the architecture.
    private func visionTokenShape(_ tokens: Tensor) -> (batch: Int, tokensPerImage: Int) {
        precondition(architecture.input == .tokens, "PairProjector: the architecture takes pooled vision input")
        precondition(tokens.rank == 3 && tokens.dimension(2) == architecture.visionWidth, "PairProjector: expected vision tokens [batch, tokens, \(architecture.visionWidth)], got \(tokens.shape)")
        return (tokens.dimension(0), tokens.dimension(1))
    }

    /// The row count of pooled input `[batch, width]`, checked against the architecture.
    private func pooledRows(_ pooled: Tensor, width: Int, side: String) -> Int {
        precondition(architecture.input == .pooled, "PairProjector: the architecture takes \(side) tokens")
        precondition(pooled.rank == 2 && pooled.dimension(1) == width, "PairProjector: expected pooled \(side) input [batch, \(width)], got \(pooled.shape)")
        return pooled.dimension(0)
    }

    /// `values` as a `[batch, outputWidth]` tensor.
    private func rows(_ values: [Float], batch: Int) -> Tensor {
        Tensor(shape: [batch, architecture.outputWidth], scalars: values)
    }

    /// The sum of the two vision branches' outputs (either may be absent).
    private static func combine(_ local: [Float]?, _ cls: [Float]?) -> [Float] {
        guard var result = local else { return cls ?? [] }
        guard let cls else { return result }
        ProjectorKernels.add(cls, to: &result)
        return result
    }

    // MARK: Text

    /// The row groups of packed sequences of the given lengths.
    private static func textGroups(lengths: [Int]) -> RowGroups {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(lengths.count)
        var start = 0
        for length in lengths {
            precondition(length > 0, "PairProjector: every text sequence needs at least one token")
            ranges.append(start..<start + length)
            start += length
        }
        return RowGroups(ranges)
    }

    /// Training forward pass on token input: `tokens` holds the real tokens of every sequence,
    /// packed (`[sum(lengths), textWidth]`, sequence b's `lengths[b]` tokens consecutive, special
    /// tokens included, padding left out); returns the raw text embeddings
    /// `[lengths.count, outputWidth]`.
    public mutating func forwardText(tokens: Tensor, lengths: [Int]) -> Tensor {
        let groups = textTokenGroups(tokens, lengths: lengths)
        textBatch = lengths.count
        let pooled = textToken.forwardMean(tokens, groups: groups)
        return rows(textHead?.forward(pooled, rows: lengths.count) ?? pooled, batch: lengths.count)
    }

    /// Training forward pass on pooled input, `[batch, textWidth]`; returns the raw text
    /// embeddings `[batch, outputWidth]`.
    public mutating func forwardText(pooled: Tensor) -> Tensor {
        let batch = pooledRows(pooled, width: architecture.textWidth, side: "text")
        textBatch = batch
        let projected = textToken.forwardMean(pooled, groups: RowGroups(count: batch, rows: 1, first: 0, stride: 1))
        return rows(textHead?.forward(projected, rows: batch) ?? projected, batch: batch)
    }

    /// Backward pass of the latest text forward pass given dLoss/d(text embedding),
    /// `[batch, outputWidth]`: accumulates the text parameters' gradients.
    public mutating func backwardText(outputGradient: Tensor) {
        guard let batch = textBatch else { preconditionFailure("PairProjector.backwardText before forwardText") }
        precondition(outputGradient.shape == [batch, architecture.outputWidth], "PairProjector: expected \(batch)×\(architecture.outputWidth) text gradients, got \(outputGradient.shape)")
        textBatch = nil
        let gradient = outputGradient.scalars
        let pooledGradient = textHead?.backward(outputGradient: gradient) ?? gradient
        textToken.backwardMean(outputGradient: pooledGradient)
    }

    /// L2-normalised text embeddings `[lengths.count, outputWidth]` from packed token input
    /// (see ``forwardText(tokens:lengths:)``), without dropout or caching.
    public func embedText(tokens: Tensor, lengths: [Int]) -> Tensor {
        let groups = textTokenGroups(tokens, lengths: lengths)
        return finishText(textToken.meanOutput(tokens, groups: groups), batch: lengths.count)
    }

    /// L2-normalised text embeddings `[batch, outputWidth]` from pooled input
    /// `[batch, textWidth]`, without dropout or caching.
    public func embedText(pooled: Tensor) -> Tensor {
        let batch = pooledRows(pooled, width: architecture.textWidth, side: "text")
        return finishText(textToken.meanOutput(pooled, groups: RowGroups(count: batch, rows: 1, first: 0, stride: 1)), batch: batch)
    }

    /// The row groups of packed text tokens, checked against the architecture.
    private func textTokenGroups(_ tokens: Tensor, lengths: [Int]) -> RowGroups {
        precondition(architecture.input == .tokens, "PairProjector: the architecture takes pooled text input")
        let groups = Self.textGroups(lengths: lengths)
        precondition(tokens.rank == 2 && tokens.dimension(1) == architecture.textWidth && tokens.dimension(0) == groups.totalRows, "PairProjector: lengths sum to \(groups.totalRows) tokens of width \(architecture.textWidth), got \(tokens.shape)")
        return groups
    }

    private func finishText(_ pooled: [Float], batch: Int) -> Tensor {
        var output = textHead.map { $0.output(pooled, rows: batch) } ?? pooled
        ProjectorKernels.l2NormalizeRows(&output, rows: batch, width: architecture.outputWidth)
        return rows(output, batch: batch)
    }
}
