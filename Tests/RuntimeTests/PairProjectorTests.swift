import Foundation
import Runtime
import Testing

// MARK: - Helpers


/// Checks every parameter's accumulated gradient in `trained` against central differences of
/// `loss` around `reference`'s parameters.
private func expectParameterGradients<Model>(
    _ label: String, reference: Model, trained: [ProjectorParameter],
    get: (Model) -> [ProjectorParameter], set: (inout Model, [ProjectorParameter]) -> Void,
    epsilon: Float = 1e-3, tolerance: Double = 1e-2,
    loss: (inout Model) -> Double, sourceLocation: SourceLocation = #_sourceLocation
) {
    let parameters = get(reference)
    #expect(parameters.map(\.name) == trained.map(\.name), sourceLocation: sourceLocation)
    for index in parameters.indices {
        let numeric = centralDifferences(parameters[index].value, epsilon: epsilon) { values in
            var copy = reference
            var changed = get(copy)
            changed[index].value = values
            set(&copy, changed)
            return loss(&copy)
        }
        let error = relativeDifference(trained[index].gradient, numeric)
        #expect(error <= tolerance, "\(label) \(parameters[index].name): relative error \(error)", sourceLocation: sourceLocation)
    }
}

/// Every parameter set to random values in ±scale (so LayerNorm affines are exercised too).
private func randomizeParameters(_ parameters: [ProjectorParameter], seed: UInt64, scale: Float = 0.8) -> [ProjectorParameter] {
    var random = ProjectorRandom(seed: seed)
    return parameters.map { parameter in
        var copy = parameter
        copy.value = randomArray(parameter.count, &random, scale: scale)
        return copy
    }
}

/// max |a − b| / max(max |b|, 1).
private func scaledError(_ lhs: [Float], _ rhs: [Float]) -> Float {
    var difference: Float = 0
    var scale: Float = 1
    for (a, b) in zip(lhs, rhs) {
        difference = max(difference, abs(a - b))
        scale = max(scale, abs(b))
    }
    return difference / scale
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-pair-projector-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Small shapes shared by the tests: 3 samples, images of CLS + 1 register + 4 patches,
/// texts of 3, 1 and 4 tokens.
private enum Shapes {
    static let batch = 3
    static let visionWidth = 5
    static let textWidth = 6
    static let outputWidth = 7
    static let registers = 1
    static let tokensPerImage = 1 + registers + 4
    static let lengths = [3, 1, 4]
}

/// Inputs for an architecture: vision tokens or pooled, text tokens (packed) or pooled.
private struct PairInputs {
    var vision: [Float]
    var text: [Float]

    init(_ architecture: ProjectorArchitecture, seed: UInt64) {
        var random = ProjectorRandom(seed: seed)
        let tokens = architecture.input == .tokens
        vision = randomArray(Shapes.batch * (tokens ? Shapes.tokensPerImage : 1) * architecture.visionWidth, &random, scale: 2)
        text = randomArray((tokens ? Shapes.lengths.reduce(0, +) : Shapes.batch) * architecture.textWidth, &random, scale: 2)
    }

    /// The vision input as the projector takes it: `[batch, tokens, width]` or `[batch, width]`.
    func visionTensor(_ architecture: ProjectorArchitecture) -> Tensor {
        architecture.input == .tokens
            ? Tensor(shape: [Shapes.batch, Shapes.tokensPerImage, architecture.visionWidth], scalars: vision)
            : Tensor(shape: [Shapes.batch, architecture.visionWidth], scalars: vision)
    }

    /// The text input as the projector takes it: packed `[Σ lengths, width]` or `[batch, width]`.
    func textTensor(_ architecture: ProjectorArchitecture) -> Tensor {
        Tensor(shape: [text.count / architecture.textWidth, architecture.textWidth], scalars: text)
    }

    func forward(_ projector: inout PairProjector) -> (vision: Tensor, text: Tensor) {
        let (v, t) = (visionTensor(projector.architecture), textTensor(projector.architecture))
        if projector.architecture.input == .tokens {
            return (projector.forwardVision(tokens: v), projector.forwardText(tokens: t, lengths: Shapes.lengths))
        }
        return (projector.forwardVision(pooled: v), projector.forwardText(pooled: t))
    }

    func embed(_ projector: PairProjector) -> (vision: [Float], text: [Float]) {
        let (v, t) = (visionTensor(projector.architecture), textTensor(projector.architecture))
        if projector.architecture.input == .tokens {
            return (projector.embedVision(tokens: v).scalars, projector.embedText(tokens: t, lengths: Shapes.lengths).scalars)
        }
        return (projector.embedVision(pooled: v).scalars, projector.embedText(pooled: t).scalars)
    }
}

private func paperArchitecture(dropout: Float = 0.1) -> ProjectorArchitecture {
    var architecture = ProjectorArchitecture.paper(visionWidth: Shapes.visionWidth, textWidth: Shapes.textWidth, outputWidth: Shapes.outputWidth)
    architecture.visionRegisters = Shapes.registers
    architecture.dropout = dropout
    return architecture
}

/// One training step's loss and gradients: forward both sides, the contrastive loss, backward.
private func lossAndBackward(_ projector: inout PairProjector, _ inputs: PairInputs, loss: inout ContrastiveLoss) -> Float {
    let (vision, text) = inputs.forward(&projector)
    let result = loss.evaluate(image: vision, text: text)
    projector.backwardVision(outputGradient: result.imageGradient)
    projector.backwardText(outputGradient: result.textGradient)
    return result.loss
}

// MARK: - Branches and head

@Suite("Pair projector branches")
struct PairProjectorBranchTests {
    static let kinds: [BranchKind] = [.identity, .linear, .mlp, .token]

    private func makeBranch(_ kind: BranchKind, dropout: Float, seed: UInt64) -> ProjectorBranch {
        let (inWidth, outWidth) = (kind == .identity ? 6 : 5, 6)
        var random = ProjectorRandom(seed: seed)
        var branch = ProjectorBranch(kind: kind, inFeatures: inWidth, outFeatures: outWidth, random: &random)
        branch.parameters = randomizeParameters(branch.parameters, seed: seed + 100)
        branch.dropoutProbability = dropout
        branch.isTraining = dropout > 0
        branch.dropoutRandom = ProjectorRandom(seed: seed + 7)
        return branch
    }

    @Test(arguments: kinds, [Float(0), 0.3])
    func perRowGradients(kind: BranchKind, dropout: Float) {
        var branch = makeBranch(kind, dropout: dropout, seed: 21)
        let rows = 3
        var random = ProjectorRandom(seed: 22)
        let input = randomArray(rows * branch.inFeatures, &random, scale: 2)
        let weights = randomArray(rows * branch.outFeatures, &random)
        let reference = branch
        _ = branch.forward(input, rows: rows)
        let inputGradient = branch.backward(outputGradient: weights)
        let numeric = centralDifferences(input) {
            var copy = reference
            return projected(copy.forward($0, rows: rows), weights)
        }
        #expect(relativeDifference(inputGradient, numeric) <= 1e-2, "\(kind) input gradient")
        expectParameterGradients(
            "\(kind) per row", reference: reference, trained: branch.parameters,
            get: { $0.parameters }, set: { $0.parameters = $1 }
        ) { projected($0.forward(input, rows: rows), weights) }
    }

    @Test(arguments: kinds, [Float(0), 0.3])
    func groupMeanGradients(kind: BranchKind, dropout: Float) {
        var branch = makeBranch(kind, dropout: dropout, seed: 31)
        // Groups of 3, 1 and 4 rows out of 10, with rows 3 and 5 skipped.
        let groups = [0..<3, 4..<5, 6..<10]
        var random = ProjectorRandom(seed: 32)
        let input = randomArray(10 * branch.inFeatures, &random, scale: 2)
        let weights = randomArray(groups.count * branch.outFeatures, &random)
        let reference = branch
        func evaluate(_ model: inout ProjectorBranch) -> [Float] {
            model.forwardMean(Tensor(input), groups: groups)
        }
        _ = evaluate(&branch)
        branch.backwardMean(outputGradient: weights)
        expectParameterGradients(
            "\(kind) group mean", reference: reference, trained: branch.parameters,
            get: { $0.parameters }, set: { $0.parameters = $1 }
        ) { projected(evaluate(&$0), weights) }
    }

    /// The grouped-mean pass equals the mean of the per-row pass over the gathered rows, with
    /// the same dropout masks, and its gradients equal the per-row gradients.
    @Test(arguments: kinds, [Float(0), 0.3])
    func groupMeanMatchesPerRowMean(kind: BranchKind, dropout: Float) {
        let branch = makeBranch(kind, dropout: dropout, seed: 41)
        let groups = [2..<5, 6..<7, 8..<12]
        let gatheredRows = [2, 3, 4, 6, 8, 9, 10, 11]
        var random = ProjectorRandom(seed: 42)
        let (inWidth, outWidth) = (branch.inFeatures, branch.outFeatures)
        let input = randomArray(12 * inWidth, &random, scale: 2)
        let weights = randomArray(groups.count * outWidth, &random)

        var grouped = branch
        let mean = grouped.forwardMean(Tensor(input), groups: groups)
        grouped.backwardMean(outputGradient: weights)

        var perRow = branch
        let gathered = gatheredRows.flatMap { input[$0 * inWidth ..< ($0 + 1) * inWidth] }
        let rows = perRow.forward(gathered, rows: gatheredRows.count)
        var expected = [Float](repeating: 0, count: groups.count * outWidth)
        var rowGradient: [Float] = []
        var row = 0
        for (group, range) in groups.enumerated() {
            for _ in range {
                for column in 0..<outWidth {
                    expected[group * outWidth + column] += rows[row * outWidth + column] / Float(range.count)
                }
                rowGradient += (0..<outWidth).map { weights[group * outWidth + $0] / Float(range.count) }
                row += 1
            }
        }
        _ = perRow.backward(outputGradient: rowGradient)
        #expect(scaledError(mean, expected) < 1e-5, "\(kind) outputs")
        for (a, b) in zip(grouped.parameters, perRow.parameters) {
            #expect(scaledError(a.gradient, b.gradient) < 1e-5, "\(kind) \(a.name)")
        }
        #expect(grouped.dropoutRandom.stateValue == perRow.dropoutRandom.stateValue)
        // meanOutput never applies dropout and leaves the branch as it is. It runs on zoo's
        // row-independent kernel, the training pass on OpenBLAS: equal to rounding.
        var evaluation = branch
        evaluation.isTraining = false
        let plain = evaluation.forwardMean(Tensor(input), groups: groups)
        #expect(scaledError(branch.meanOutput(Tensor(input), groups: groups), plain) < 1e-6)
    }

    @Test func branchParameterNames() {
        var random = ProjectorRandom(seed: 1)
        #expect(ProjectorBranch(kind: .identity, inFeatures: 4, outFeatures: 4, random: &random).parameters.isEmpty)
        #expect(ProjectorBranch(kind: .none, inFeatures: 3, outFeatures: 4, random: &random).parameters.isEmpty)
        #expect(ProjectorBranch(kind: .linear, inFeatures: 3, outFeatures: 4, random: &random).parameters.map(\.name) == ["linear.weight", "linear.bias"])
        let mlp = ProjectorBranch(kind: .mlp, inFeatures: 3, outFeatures: 4, random: &random)
        #expect(mlp.parameters.map(\.name) == ["mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias"])
        #expect(mlp.parameters.map(\.shape) == [[4, 3], [4], [4, 4], [4]])
        let token = ProjectorBranch(kind: .token, inFeatures: 3, outFeatures: 4, random: &random)
        #expect(token.parameters.map(\.name) == [
            "norm.weight", "norm.bias", "linear.weight", "linear.bias", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias",
        ])
        #expect(token.parameterCount == 6 + 16 + 16 + 20)
    }

    @Test(arguments: [Float(0), 0.3])
    func textHeadGradients(dropout: Float) {
        var random = ProjectorRandom(seed: 51)
        var head = TextProjectionHead(inFeatures: 5, outFeatures: 6, random: &random)
        head.parameters = randomizeParameters(head.parameters, seed: 52)
        head.dropoutProbability = dropout
        head.isTraining = dropout > 0
        #expect(head.parameters.map(\.name) == ["projection.weight", "projection.bias", "fc.weight", "fc.bias", "norm.weight", "norm.bias"])
        #expect(head.parameters.map(\.shape) == [[6, 5], [6], [6, 6], [6], [6], [6]])
        let rows = 3
        let input = randomArray(rows * 5, &random, scale: 2)
        let weights = randomArray(rows * 6, &random)
        let reference = head
        let output = head.forward(input, rows: rows)
        let inputGradient = head.backward(outputGradient: weights)
        let numeric = centralDifferences(input) {
            var copy = reference
            return projected(copy.forward($0, rows: rows), weights)
        }
        #expect(relativeDifference(inputGradient, numeric) <= 1e-2)
        expectParameterGradients(
            "head", reference: reference, trained: head.parameters, get: { $0.parameters }, set: { $0.parameters = $1 }
        ) { projected($0.forward(input, rows: rows), weights) }
        // Dropout only while training: output(_:rows:) is the plain pass (to rounding: it runs on
        // zoo's row-independent kernel, the training pass on OpenBLAS).
        var plain = reference
        plain.isTraining = false
        #expect(scaledError(reference.output(input, rows: rows), plain.forward(input, rows: rows)) < 1e-6)
        if dropout > 0 { #expect(output != plain.forward(input, rows: rows)) }
    }
}

// MARK: - Pair projector

@Suite("Pair projector")
struct PairProjectorTests {
    /// The paper's ablation rows and other mixes, all with token input.
    static let tokenArchitectures: [ProjectorArchitecture] = {
        let (v, t, o) = (Shapes.visionWidth, Shapes.textWidth, Shapes.outputWidth)
        var rows = [
            // 1. vision local only; the text side is the masked mean of raw tokens.
            ProjectorArchitecture(input: .tokens, visionWidth: v, textWidth: o, outputWidth: o, visionLocal: .token, visionCLS: .none, textToken: .identity, textHead: false),
            // 2. + text token projector and head.
            ProjectorArchitecture(input: .tokens, visionWidth: v, textWidth: t, outputWidth: o, visionLocal: .token, visionCLS: .none, textToken: .token, textHead: true),
            // 3. CLS instead of local.
            ProjectorArchitecture(input: .tokens, visionWidth: v, textWidth: t, outputWidth: o, visionLocal: .none, visionCLS: .token, textToken: .token, textHead: true),
            // 4. all four.
            paperArchitecture(),
            // Mixed kinds: identity CLS, mlp local, linear text tokens, head.
            ProjectorArchitecture(input: .tokens, visionWidth: o, textWidth: t, outputWidth: o, visionLocal: .mlp, visionCLS: .identity, textToken: .linear, textHead: true),
            // No text projector, only the head, which then reads the text width.
            ProjectorArchitecture(input: .tokens, visionWidth: v, textWidth: t, outputWidth: o, visionLocal: .linear, visionCLS: .mlp, textToken: .none, textHead: true),
        ]
        for index in rows.indices { rows[index].visionRegisters = Shapes.registers }
        return rows
    }()

    static let pooledArchitectures: [ProjectorArchitecture] = [
        .pooled(kind: .linear, visionWidth: Shapes.visionWidth, textWidth: Shapes.textWidth, outputWidth: Shapes.outputWidth),
        .pooled(kind: .mlp, visionWidth: Shapes.visionWidth, textWidth: Shapes.textWidth, outputWidth: Shapes.outputWidth),
        ProjectorArchitecture(input: .pooled, visionWidth: Shapes.visionWidth, textWidth: Shapes.textWidth, outputWidth: Shapes.outputWidth, visionLocal: .none, visionCLS: .token, textToken: .identity, textHead: true),
    ]

    private func checkGradients(_ architecture: ProjectorArchitecture, training: Bool) throws {
        var projector = try PairProjector(architecture: architecture, seed: 61)
        projector.parameters = randomizeParameters(projector.parameters, seed: 62)
        projector.isTraining = training
        let inputs = PairInputs(architecture, seed: 63)
        let reference = projector
        var loss = ContrastiveLoss(temperature: 0.5)
        let lossReference = loss
        _ = lossAndBackward(&projector, inputs, loss: &loss)
        expectParameterGradients(
            "\(architecture.jsonString) training \(training)", reference: reference, trained: projector.parameters,
            get: { $0.parameters }, set: { $0.parameters = $1 }, epsilon: 1e-2
        ) { model in
            let (vision, text) = inputs.forward(&model)
            var copy = lossReference
            return Double(copy.evaluate(image: vision, text: text).loss)
        }
    }

    @Test(arguments: tokenArchitectures.indices, [false, true])
    func tokenArchitectureGradients(index: Int, training: Bool) throws {
        try checkGradients(Self.tokenArchitectures[index], training: training)
    }

    @Test(arguments: pooledArchitectures.indices, [false, true])
    func pooledArchitectureGradients(index: Int, training: Bool) throws {
        try checkGradients(Self.pooledArchitectures[index], training: training)
    }

    /// Buffers kept between steps do not leak state: a second forward/backward (after a
    /// forward pass without its backward pass, too) doubles the gradients of a single step.
    @Test func repeatedStepsReuseBuffers() throws {
        for architecture in [paperArchitecture(dropout: 0)] + Self.pooledArchitectures {
            var projector = try PairProjector(architecture: architecture, seed: 141)
            let inputs = PairInputs(architecture, seed: 142)
            var fresh = projector
            var loss = ContrastiveLoss()
            _ = lossAndBackward(&fresh, inputs, loss: &loss)
            var again = ContrastiveLoss()
            _ = lossAndBackward(&projector, inputs, loss: &again)
            _ = inputs.forward(&projector)
            _ = lossAndBackward(&projector, inputs, loss: &again)
            for (twice, once) in zip(projector.parameters, fresh.parameters) {
                // Equal up to the order of accumulation.
                #expect(scaledError(twice.gradient, once.gradient.map { $0 + $0 }) < 1e-6, "\(twice.name)")
            }
        }
    }

    @Test func parameterNamesAndOrder() throws {
        let projector = try PairProjector(architecture: paperArchitecture(), seed: 1)
        let names = projector.parameters.map(\.name)
        let block = ["norm.weight", "norm.bias", "linear.weight", "linear.bias", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias"]
        let head = ["projection.weight", "projection.bias", "fc.weight", "fc.bias", "norm.weight", "norm.bias"]
        #expect(names == block.map { "vision.local." + $0 } + block.map { "vision.cls." + $0 } + block.map { "text.token." + $0 } + head.map { "text.head." + $0 })
        #expect(projector.parameters.filter(\.decay).allSatisfy { $0.shape.count == 2 })
        #expect(projector.parameters.filter { !$0.decay }.allSatisfy { $0.shape.count == 1 })
        // The same seed gives the same weights; another seed other weights.
        let again = try PairProjector(architecture: paperArchitecture(), seed: 1)
        let other = try PairProjector(architecture: paperArchitecture(), seed: 2)
        #expect(projector.parameters.map(\.value) == again.parameters.map(\.value))
        #expect(projector.parameters.map(\.value) != other.parameters.map(\.value))
        // The paper's size at width 1,024: three token blocks of 3·(1024² + 1024) + 2·1024 and a
        // head of 2·(1024² + 1024) + 2·1024, about 11.5M.
        let block1024 = 3 * (1024 * 1024 + 1024) + 2 * 1024
        let head1024 = 2 * (1024 * 1024 + 1024) + 2 * 1024
        #expect(3 * block1024 + head1024 == 11_553_792)
        let small = projector.parameterCount
        let blockSmall = { (i: Int) in 2 * i + 2 * (i * 7 + 7) + 7 * 7 + 7 }
        #expect(small == 2 * blockSmall(5) + blockSmall(6) + 2 * (7 * 7 + 7) + 14)
    }

    @Test func embeddingsAreNormalisedAndDropoutFree() throws {
        for architecture in Self.tokenArchitectures + Self.pooledArchitectures {
            var projector = try PairProjector(architecture: architecture, seed: 71)
            let inputs = PairInputs(architecture, seed: 72)
            let (vision, text) = inputs.forward(&projector)
            let embedded = inputs.embed(projector)
            let expectedVision = ContrastiveLoss.l2Normalize(vision).scalars
            let expectedText = ContrastiveLoss.l2Normalize(text).scalars
            #expect(scaledError(embedded.vision, expectedVision) < 1e-6)
            #expect(scaledError(embedded.text, expectedText) < 1e-6)
            // Training mode changes the forward pass (where there is dropout) but not embed.
            projector.isTraining = true
            #expect(inputs.embed(projector).vision == embedded.vision)
            #expect(inputs.embed(projector).text == embedded.text)
        }
        var projector = try PairProjector(architecture: paperArchitecture(dropout: 0.3), seed: 73)
        let inputs = PairInputs(paperArchitecture(), seed: 74)
        let plain = inputs.forward(&projector)
        projector.isTraining = true
        let dropped = inputs.forward(&projector)
        #expect(plain.vision != dropped.vision && plain.text != dropped.text)
    }

    /// Inference is row-independent: an item embeds to the same bits alone, in a batch of 19 or
    /// in blocks of 8, for every architecture (wide ones too, past the kernels' tile sizes), so
    /// a server's dynamic batches and `zoo eval`'s cache blocks agree bit for bit.
    @Test func embeddingsDoNotDependOnTheBatch() throws {
        var wide = ProjectorArchitecture.paper(visionWidth: 37, textWidth: 70, outputWidth: 33)
        wide.visionRegisters = 0
        let architectures = Self.tokenArchitectures + Self.pooledArchitectures
            + [wide, .pooled(kind: .mlp, visionWidth: 70, textWidth: 37, outputWidth: 33)]
        for (index, architecture) in architectures.enumerated() {
            var projector = try PairProjector(architecture: architecture, seed: 91)
            projector.parameters = randomizeParameters(projector.parameters, seed: 92)
            var random = ProjectorRandom(seed: 93)
            let batch = 19
            let tokens = architecture.input == .tokens
            let perImage = tokens ? 1 + architecture.visionRegisters + 4 : 1
            let lengths = (0..<batch).map { 1 + $0 % 5 }
            let vision = randomArray(batch * perImage * architecture.visionWidth, &random, scale: 2)
            let text = randomArray((tokens ? lengths.reduce(0, +) : batch) * architecture.textWidth, &random, scale: 2)
            func images(_ rows: Range<Int>) -> [Float] {
                let width = perImage * architecture.visionWidth
                let slice = Array(vision[rows.lowerBound * width..<rows.upperBound * width])
                return tokens
                    ? projector.embedVision(tokens: Tensor(shape: [rows.count, perImage, architecture.visionWidth], scalars: slice)).scalars
                    : projector.embedVision(pooled: Tensor(shape: [rows.count, architecture.visionWidth], scalars: slice)).scalars
            }
            func texts(_ rows: Range<Int>) -> [Float] {
                let width = architecture.textWidth
                let first = tokens ? lengths[..<rows.lowerBound].reduce(0, +) : rows.lowerBound
                let count = tokens ? lengths[rows].reduce(0, +) : rows.count
                let slice = Tensor(shape: [count, width], scalars: Array(text[first * width..<(first + count) * width]))
                return tokens
                    ? projector.embedText(tokens: slice, lengths: Array(lengths[rows])).scalars
                    : projector.embedText(pooled: slice).scalars
            }
            let allImages = images(0..<batch)
            let allTexts = texts(0..<batch)
            let alone = (0..<batch).map { (images($0..<$0 + 1), texts($0..<$0 + 1)) }
            #expect(alone.flatMap(\.0) == allImages, "architecture \(index): images alone")
            #expect(alone.flatMap(\.1) == allTexts, "architecture \(index): texts alone")
            let blocks = stride(from: 0, to: batch, by: 8).map { $0..<min($0 + 8, batch) }
            #expect(blocks.flatMap(images) == allImages, "architecture \(index): images in blocks")
            #expect(blocks.flatMap(texts) == allTexts, "architecture \(index): texts in blocks")
        }
    }

    /// Packed text: each sequence's embedding depends on its own tokens only, and equals the
    /// embedding of that sequence alone; vision register tokens are skipped.
    @Test func lengthsPaddingAndRegisters() throws {
        let architecture = paperArchitecture()
        let projector = try PairProjector(architecture: architecture, seed: 81)
        let inputs = PairInputs(architecture, seed: 82)
        let width = architecture.textWidth
        let all = projector.embedText(tokens: inputs.textTensor(architecture), lengths: Shapes.lengths).scalars
        var start = 0
        for (index, length) in Shapes.lengths.enumerated() {
            let alone = Array(inputs.text[start * width ..< (start + length) * width])
            let single = projector.embedText(tokens: Tensor(shape: [length, width], scalars: alone), lengths: [length]).scalars
            let row = Array(all[index * architecture.outputWidth ..< (index + 1) * architecture.outputWidth])
            #expect(scaledError(single, row) < 1e-6, "sequence \(index)")
            start += length
        }
        // Padding a sequence with more tokens changes only its own embedding.
        var longer = inputs.text
        longer.insert(contentsOf: [Float](repeating: 9, count: width), at: 3 * width)
        let padded = projector.embedText(tokens: Tensor(shape: [9, width], scalars: longer), lengths: [4, 1, 4]).scalars
        let out = architecture.outputWidth
        #expect(Array(padded[0..<out]) != Array(all[0..<out]))
        #expect(scaledError(Array(padded[out...]), Array(all[out...])) < 1e-6)

        let visionWidth = architecture.visionWidth
        func embedVision(_ values: [Float]) -> [Float] {
            projector.embedVision(tokens: Tensor(shape: [Shapes.batch, Shapes.tokensPerImage, visionWidth], scalars: values)).scalars
        }
        let base = embedVision(inputs.vision)
        var changedRegister = inputs.vision
        for column in 0..<visionWidth { changedRegister[1 * visionWidth + column] += 5 }
        let afterRegister = embedVision(changedRegister)
        #expect(afterRegister == base)
        var changedPatch = inputs.vision
        for column in 0..<visionWidth { changedPatch[3 * visionWidth + column] += 5 }
        let afterPatch = embedVision(changedPatch)
        #expect(Array(afterPatch[0..<out]) != Array(base[0..<out]))
        #expect(Array(afterPatch[out...]) == Array(base[out...]))
    }

    @Test func architectureValidationAndJSON() throws {
        let paper = paperArchitecture()
        let json = paper.jsonString
        #expect(json.hasPrefix("{\"dropout\":"))
        #expect(json.contains("\"visionCLS\":\"token\""))
        #expect(try ProjectorArchitecture(json: json) == paper)
        #expect(ProjectorArchitecture.paper().jsonString == ProjectorArchitecture.paper().jsonString)
        // visionRegisters and dropout may be left out.
        let short = #"{"input":"pooled","visionWidth":4,"textWidth":4,"outputWidth":4,"visionLocal":"none","visionCLS":"linear","textToken":"mlp","textHead":false}"#
        let decoded = try ProjectorArchitecture(json: short)
        #expect(decoded.visionRegisters == 0 && decoded.dropout == 0.1)

        func expectInvalid(_ error: ProjectorArchitectureError, _ change: (inout ProjectorArchitecture) -> Void) {
            var architecture = paper
            change(&architecture)
            #expect(throws: error) { try architecture.validate() }
            #expect(throws: error) { try PairProjector(architecture: architecture, seed: 0) }
        }
        expectInvalid(.nonPositiveWidth(field: "textWidth", value: 0)) { $0.textWidth = 0 }
        expectInvalid(.negativeRegisters(-1)) { $0.visionRegisters = -1 }
        expectInvalid(.dropoutOutOfRange(1)) { $0.dropout = 1 }
        expectInvalid(.noVisionBranch) { $0.visionLocal = .none; $0.visionCLS = .none }
        expectInvalid(.identityWidthMismatch(branch: "visionCLS", inWidth: 5, outWidth: 7)) { $0.visionCLS = .identity }
        expectInvalid(.textWidthMismatch(textWidth: 6, outputWidth: 7)) { $0.textToken = .identity; $0.textHead = false }
        expectInvalid(.tokenOptionWithPooledInput(field: "visionLocal")) { $0.input = .pooled }
        #expect(throws: ProjectorArchitectureError.self) { try ProjectorArchitecture(json: "{\"input\":\"tokens\"}") }
        #expect(throws: ProjectorArchitectureError.self) { try ProjectorArchitecture(json: "not json") }
        #expect(ProjectorArchitectureError.noVisionBranch.description.contains("visionLocal and visionCLS"))
    }
}

// MARK: - PyTorch reference

/// `Tests/Fixtures/projector/pair_reference.safetensors`, written by
/// `scripts/make_pair_projector_fixtures.py`.
private let pairReference = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/projector/pair_reference.safetensors")

@Suite("Pair projector PyTorch reference")
struct PairProjectorReferenceTests {
    @Test func matchesPyTorch() throws {
        let file = try SafeTensorsFile(url: pairReference)
        var projector = try PairProjector(architecture: paperArchitecture(), seed: 1)
        var parameters = projector.parameters
        for index in parameters.indices {
            parameters[index].value = try file.floats("param." + parameters[index].name)
        }
        projector.parameters = parameters
        #expect(Set(parameters.map { "param." + $0.name } + ["param.logit_scale"]) == Set(file.names.filter { $0.hasPrefix("param.") }))
        var loss = ContrastiveLoss()
        loss.logitScale.value = try file.floats("param.logit_scale")
        let lengths = try file.int64s("input.text_lengths").map { Int($0) }
        #expect(lengths == Shapes.lengths)

        let vision = projector.forwardVision(tokens: Tensor(shape: [Shapes.batch, Shapes.tokensPerImage, Shapes.visionWidth], scalars: try file.floats("input.vision")))
        let text = projector.forwardText(tokens: Tensor(shape: [lengths.reduce(0, +), Shapes.textWidth], scalars: try file.floats("input.text_tokens")), lengths: lengths)
        #expect(scaledError(vision.scalars, try file.floats("output.vision")) < 1e-4)
        #expect(scaledError(text.scalars, try file.floats("output.text")) < 1e-4)
        let result = loss.evaluate(image: vision, text: text)
        #expect(abs(result.loss - (try file.floats("output.loss"))[0]) < 1e-4)
        projector.backwardVision(outputGradient: result.imageGradient)
        projector.backwardText(outputGradient: result.textGradient)
        for parameter in projector.parameters + [loss.logitScale] {
            let difference = scaledError(parameter.gradient, try file.floats("grad." + parameter.name))
            #expect(difference < 1e-4, "\(parameter.name): \(difference)")
        }

        var optimizer = AdamW(weightDecay: 0.02)
        projector.step(optimizer: &optimizer, loss: &loss, learningRate: 1e-3)
        for parameter in projector.parameters + [loss.logitScale] {
            let difference = scaledError(parameter.value, try file.floats("step." + parameter.name))
            #expect(difference < 1e-5, "\(parameter.name) after one step: \(difference)")
        }
    }

    /// The Float AdamW against the update written out in Double, over many steps.
    @Test func adamWMatchesDoubleReference() {
        var random = ProjectorRandom(seed: 91)
        var parameters = [
            ProjectorParameter(name: "w", shape: [4, 8], value: randomArray(32, &random), decay: true),
            ProjectorParameter(name: "b", shape: [8], value: randomArray(8, &random), decay: false),
        ]
        var reference = parameters.map { $0.value.map(Double.init) }
        var first = reference.map { [Double](repeating: 0, count: $0.count) }
        var second = first
        var optimizer = AdamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05)
        let rate = 1e-2
        for step in 1...20 {
            for index in parameters.indices { parameters[index].gradient = randomArray(parameters[index].count, &random) }
            optimizer.update(&parameters, learningRate: Float(rate))
            let correction1 = 1 - Foundation.pow(0.9, Double(step))
            let correction2 = 1 - Foundation.pow(0.999, Double(step))
            for index in parameters.indices {
                for element in reference[index].indices {
                    let g = Double(parameters[index].gradient[element])
                    first[index][element] = 0.9 * first[index][element] + 0.1 * g
                    second[index][element] = 0.999 * second[index][element] + 0.001 * g * g
                    if parameters[index].decay { reference[index][element] *= 1 - rate * 0.05 }
                    reference[index][element] -= rate * (first[index][element] / correction1) / ((second[index][element] / correction2).squareRoot() + 1e-8)
                }
            }
        }
        for index in parameters.indices {
            for (value, expected) in zip(parameters[index].value, reference[index]) {
                #expect(abs(Double(value) - expected) < 1e-5)
            }
        }
        #expect(optimizer.step == 20)
    }
}

// MARK: - Files

@Suite("Pair projector files")
struct PairProjectorFileTests {
    private func writeFile(_ tensors: [(String, [Float], [Int])], metadata: [String: String], to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: metadata)
        for (name, values, shape) in tensors { try writer.add(name, floats: values, shape: shape) }
        try writer.write(to: url)
    }

    @Test func saveLoadRoundTripAndDeterministicBytes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for architecture in PairProjectorTests.tokenArchitectures + PairProjectorTests.pooledArchitectures {
            let projector = try PairProjector(architecture: architecture, seed: 101)
            let url = folder.appendingPathComponent("weights.safetensors")
            try projector.save(to: url)
            let loaded = try PairProjector(contentsOf: url)
            #expect(loaded.architecture == architecture)
            #expect(loaded.parameters.map(\.name) == projector.parameters.map(\.name))
            #expect(loaded.parameters.map(\.value) == projector.parameters.map(\.value))
            // Same weights, same bytes: from the file, from memory, from a second projector.
            let bytes = try [UInt8](Data(contentsOf: url))
            #expect(try projector.checkpointBytes() == bytes)
            #expect(try loaded.checkpointBytes() == bytes)
            #expect(try PairProjector(architecture: architecture, seed: 101).checkpointBytes() == bytes)
            let file = try SafeTensorsFile(url: url)
            #expect(file.metadata == ["architecture": architecture.jsonString])
            #expect(file.names == file.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(file.tensors.allSatisfy { $0.dtype == .float32 })
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(contents == ["weights.safetensors"])
    }

    @Test func loadErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let architecture = paperArchitecture()
        let projector = try PairProjector(architecture: architecture, seed: 111)
        let tensors = projector.parameters.map { ($0.name, $0.value, $0.shape) }
        let metadata = ["architecture": architecture.jsonString]
        let url = folder.appendingPathComponent("bad.safetensors")
        let path = url.path

        try writeFile(tensors.filter { $0.0 != "text.head.norm.bias" }, metadata: metadata, to: url)
        #expect(throws: PairProjectorCheckpointError.missingTensor(file: path, tensor: "text.head.norm.bias")) { try PairProjector(contentsOf: url) }

        try writeFile(tensors.map { $0.0 == "vision.cls.linear.weight" ? ($0.0, $0.1, [5, 7]) : $0 }, metadata: metadata, to: url)
        #expect(throws: PairProjectorCheckpointError.wrongShape(file: path, tensor: "vision.cls.linear.weight", expected: [7, 5], actual: [5, 7])) {
            try PairProjector(contentsOf: url)
        }

        try writeFile(tensors + [("vision.cls.extra", [1], [1])], metadata: metadata, to: url)
        #expect(throws: PairProjectorCheckpointError.unexpectedTensor(file: path, tensor: "vision.cls.extra")) { try PairProjector(contentsOf: url) }

        try writeFile(tensors, metadata: ["architecture": "{not json"], to: url)
        #expect(throws: PairProjectorCheckpointError.self) { try PairProjector(contentsOf: url) }
        do {
            _ = try PairProjector(contentsOf: url)
        } catch {
            guard case .invalidArchitecture(let file, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == path)
        }

        var invalid = architecture
        invalid.visionLocal = .none
        invalid.visionCLS = .none
        try writeFile(tensors, metadata: ["architecture": invalid.jsonString], to: url)
        #expect(throws: PairProjectorCheckpointError.invalidArchitecture(file: path, reason: ProjectorArchitectureError.noVisionBranch.description)) {
            try PairProjector(contentsOf: url)
        }

        try writeFile(tensors, metadata: [:], to: url)
        #expect(throws: PairProjectorCheckpointError.missingArchitecture(file: path)) { try PairProjector(contentsOf: url) }

        try Data("not safetensors".utf8).write(to: url)
        #expect(throws: PairProjectorCheckpointError.self) { try PairProjector(contentsOf: url) }
        #expect(PairProjectorCheckpointError.missingTensor(file: path, tensor: "x").description.contains(path))
    }

    /// Training 4 steps in one go equals training 2, saving the training state, loading it into
    /// fresh objects and training 2 more: bit for bit, dropout included.
    @Test func resumeIsBitIdentical() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let architecture = paperArchitecture(dropout: 0.2)
        let schedule = LearningRateSchedule(startRate: 1e-3, peakRate: 1e-2, finalRate: 1e-4, warmupSteps: 1, totalSteps: 4)

        func train(_ projector: inout PairProjector, _ loss: inout ContrastiveLoss, _ optimizer: inout AdamW, _ data: inout ProjectorRandom, steps: Range<Int>) {
            for step in steps {
                let seed = data.next()
                projector.zeroGradients()
                loss.logitScale.zeroGradient()
                _ = lossAndBackward(&projector, PairInputs(architecture, seed: seed), loss: &loss)
                projector.step(optimizer: &optimizer, loss: &loss, learningRate: schedule.rate(at: step))
            }
        }

        var projector = try PairProjector(architecture: architecture, seed: 121)
        projector.isTraining = true
        var loss = ContrastiveLoss()
        var optimizer = AdamW()
        var data = ProjectorRandom(seed: 122)
        let start = (projector, loss, optimizer, data)
        train(&projector, &loss, &optimizer, &data, steps: 0..<4)

        var (first, firstLoss, firstOptimizer, firstData) = start
        train(&first, &firstLoss, &firstOptimizer, &firstData, steps: 0..<2)
        let url = folder.appendingPathComponent("state.safetensors")
        let state = ProjectorTrainingState(
            projector: first, logitScale: firstLoss.logitScale.value[0], optimizer: firstOptimizer.state,
            counters: ["step": "2", "data_rng": String(firstData.stateValue)])
        try state.write(to: url)
        #expect(try state.serialized() == [UInt8](Data(contentsOf: url)))

        let restored = try ProjectorTrainingState(contentsOf: url)
        #expect(restored.counters == ["step": "2", "data_rng": String(firstData.stateValue)])
        #expect(restored.optimizer == firstOptimizer.state)
        #expect(restored.optimizer.step == 2)
        #expect(restored.optimizer.firstMoments.count == first.parameters.count + 1)
        var resumed = restored.projector
        resumed.isTraining = true
        var resumedLoss = ContrastiveLoss()
        resumedLoss.logitScale.value = [restored.logitScale]
        var resumedOptimizer = AdamW(state: restored.optimizer)
        var resumedData = ProjectorRandom(seed: UInt64(restored.counters["data_rng"]!)!)
        train(&resumed, &resumedLoss, &resumedOptimizer, &resumedData, steps: 2..<4)

        #expect(resumed.parameters.map(\.value) == projector.parameters.map(\.value))
        #expect(resumedLoss.logitScale.value == loss.logitScale.value)
        #expect(resumedOptimizer.state == optimizer.state)
        #expect(resumed.dropoutStates == projector.dropoutStates)
    }

    @Test func trainingStateErrorsAndAtomicity() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let projector = try PairProjector(architecture: paperArchitecture(), seed: 131)
        let url = folder.appendingPathComponent("state.safetensors")
        let good = ProjectorTrainingState(projector: projector, logitScale: 2, optimizer: AdamWState(), counters: ["epoch": "1"])
        try good.write(to: url)
        let before = try Data(contentsOf: url)

        // A refused write leaves the previous file as it was, and no temporary files behind.
        let reserved = ProjectorTrainingState(projector: projector, logitScale: 2, optimizer: AdamWState(), counters: ["architecture": "x"])
        #expect(throws: PairProjectorCheckpointError.badMetadata(file: url.path, key: "architecture", reason: "reserved for the training-state file itself")) {
            try reserved.write(to: url)
        }
        let unknown = ProjectorTrainingState(projector: projector, logitScale: 2, optimizer: AdamWState(step: 1, firstMoments: ["nope": [0]], secondMoments: ["nope": [0]]))
        #expect(throws: PairProjectorCheckpointError.self) { try unknown.write(to: url) }
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.safetensors"])
        #expect(throws: PairProjectorCheckpointError.self) { try good.write(to: folder.appendingPathComponent("missing/state.safetensors")) }

        // Weights without optimiser state, a lone moment, a bad step dtype.
        #expect(throws: PairProjectorCheckpointError.missingTensor(file: url.path, tensor: "logit_scale")) {
            try projector.save(to: url)
            _ = try ProjectorTrainingState(contentsOf: url)
        }
        var writer = SafeTensorsWriter(metadata: ["architecture": projector.architecture.jsonString, "dropout_rng": "1,2,3,0"])
        for parameter in projector.parameters { try writer.add(parameter.name, floats: parameter.value, shape: parameter.shape) }
        try writer.add("logit_scale", floats: [2], shape: [])
        try writer.add("adam.step", int64s: [1], shape: [])
        try writer.add("adam.m.logit_scale", floats: [0], shape: [])
        try writer.write(to: url)
        #expect(throws: PairProjectorCheckpointError.inconsistentOptimizerState(file: url.path, tensor: "adam.m.logit_scale", reason: "'adam.v.logit_scale' is missing")) {
            _ = try ProjectorTrainingState(contentsOf: url)
        }
        try writer.add("adam.v.logit_scale", floats: [0], shape: [])
        try writer.write(to: url)
        let state = try ProjectorTrainingState(contentsOf: url)
        #expect(state.optimizer.step == 1 && state.logitScale == 2 && state.projector.dropoutStates == [1, 2, 3, 0])
        #expect(state.counters.isEmpty)
    }
}
