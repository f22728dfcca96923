import Foundation
import Runtime
import Testing


@Suite("Projector gradients")
struct ProjectorGradientTests {
    let rows = 3
    let inFeatures = 5
    let hiddenFeatures = 4
    let outFeatures = 6

    @Test func linearGradients() {
        var random = ProjectorRandom(seed: 1)
        let layer = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
        let input = randomArray(rows * inFeatures, &random)
        let projection = randomArray(rows * outFeatures, &random)
        var trained = layer
        let inputGradient = trained.backward(input: input, outputGradient: projection, rows: rows)
        let (r, i, o) = (rows, inFeatures, outFeatures)

        let numericInput = centralDifferences(input) { projected(layer.forward($0, rows: r), projection) }
        #expect(relativeDifference(inputGradient, numericInput) <= 1e-2)
        let numericWeight = centralDifferences(layer.weight.value) {
            projected(Linear(inFeatures: i, outFeatures: o, weight: $0, bias: layer.bias.value).forward(input, rows: r), projection)
        }
        #expect(relativeDifference(trained.weight.gradient, numericWeight) <= 1e-2)
        let numericBias = centralDifferences(layer.bias.value) {
            projected(Linear(inFeatures: i, outFeatures: o, weight: layer.weight.value, bias: $0).forward(input, rows: r), projection)
        }
        #expect(relativeDifference(trained.bias.gradient, numericBias) <= 1e-2)
    }

    @Test func linearForwardMatchesDefinition() {
        let layer = Linear(inFeatures: 2, outFeatures: 3, weight: [1, 2, 3, 4, 5, 6], bias: [0.5, -1, 2])
        let output = layer.forward([1, -1, 2, 0.5], rows: 2)
        #expect(output == [-0.5, -2, 1, 3.5, 7, 15])
    }

    @Test func layerNormGradients() {
        var random = ProjectorRandom(seed: 2)
        let width = inFeatures
        let layer = LayerNormLayer(width: width, weight: randomArray(width, &random), bias: randomArray(width, &random))
        let input = randomArray(rows * width, &random, scale: 2)
        let projection = randomArray(rows * width, &random)
        var trained = layer
        let (_, cache) = layer.forward(input, rows: rows)
        let inputGradient = trained.backward(cache: cache, outputGradient: projection, rows: rows)
        let r = rows

        let numericInput = centralDifferences(input) { projected(layer.forward($0, rows: r).output, projection) }
        #expect(relativeDifference(inputGradient, numericInput) <= 1e-2)
        let numericWeight = centralDifferences(layer.weight.value) {
            projected(LayerNormLayer(width: width, weight: $0, bias: layer.bias.value).forward(input, rows: r).output, projection)
        }
        #expect(relativeDifference(trained.weight.gradient, numericWeight) <= 1e-2)
        let numericBias = centralDifferences(layer.bias.value) {
            projected(LayerNormLayer(width: width, weight: layer.weight.value, bias: $0).forward(input, rows: r).output, projection)
        }
        #expect(relativeDifference(trained.bias.gradient, numericBias) <= 1e-2)
    }

    @Test func layerNormNormalisesRows() {
        let layer = LayerNormLayer(width: 4)
        let output = layer.forward([1, 2, 3, 4], rows: 1).output
        let expected: [Float] = [-1.341_640_8, -0.447_213_6, 0.447_213_6, 1.341_640_8]
        for (value, reference) in zip(output, expected) { #expect(abs(value - reference) < 1e-4) }
    }

    @Test func geluGradient() {
        var random = ProjectorRandom(seed: 3)
        let input = randomArray(20, &random, scale: 3)
        let projection = randomArray(20, &random)
        let analytic = GELUActivation.backward(input: input, outputGradient: projection)
        let numeric = centralDifferences(input) { projected(GELUActivation.forward($0), projection) }
        #expect(relativeDifference(analytic, numeric) <= 1e-2)
        #expect(abs(GELUForm.exactDerivative(0) - 0.5) < 1e-6)
    }

    @Test func tokenProjectorGradients() {
        var random = ProjectorRandom(seed: 4)
        var projector = TokenProjector(inFeatures: inFeatures, hiddenFeatures: hiddenFeatures, outFeatures: outFeatures, random: &random)
        // Non-trivial LayerNorm affine so its gradients are exercised.
        var parameters = projector.parameters
        parameters[0].value = randomArray(inFeatures, &random)
        parameters[1].value = randomArray(inFeatures, &random)
        projector.parameters = parameters
        let input = randomArray(rows * inFeatures, &random, scale: 2)
        let projection = randomArray(rows * outFeatures, &random)
        let reference = projector
        let r = rows

        _ = projector.forward(input, rows: rows)
        let inputGradient = projector.backward(outputGradient: projection)
        let numericInput = centralDifferences(input) {
            var copy = reference
            return projected(copy.forward($0, rows: r), projection)
        }
        #expect(relativeDifference(inputGradient, numericInput) <= 1e-2)

        let trained = projector.parameters
        #expect(trained.map(\.name) == [
            "norm.weight", "norm.bias", "linear.weight", "linear.bias",
            "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias",
        ])
        for index in trained.indices {
            let numeric = centralDifferences(reference.parameters[index].value) { values in
                var copy = reference
                var changed = copy.parameters
                changed[index].value = values
                copy.parameters = changed
                return projected(copy.forward(input, rows: r), projection)
            }
            let error = relativeDifference(trained[index].gradient, numeric)
            #expect(error <= 1e-2, "\(trained[index].name): relative error \(error)")
        }
        #expect(projector.parameterCount == 2 * 5 + (5 * 6 + 6) + (5 * 4 + 4) + (4 * 6 + 6))
    }

    @Test func tokenProjectorDropoutGradients() {
        var random = ProjectorRandom(seed: 9)
        var projector = TokenProjector(inFeatures: inFeatures, hiddenFeatures: hiddenFeatures, outFeatures: outFeatures, random: &random)
        projector.dropoutProbability = 0.3
        projector.isTraining = true
        let input = randomArray(rows * inFeatures, &random, scale: 2)
        let projection = randomArray(rows * outFeatures, &random)
        // Each copy of `reference` starts from the same generator state, so draws the same mask.
        let reference = projector
        let r = rows
        _ = projector.forward(input, rows: rows)
        let scale = projector.cache?.dropoutScale ?? []
        #expect(scale.contains(0) && scale.contains { abs($0 - 1 / 0.7) < 1e-6 })
        let inputGradient = projector.backward(outputGradient: projection)
        let numericInput = centralDifferences(input) {
            var copy = reference
            return projected(copy.forward($0, rows: r), projection)
        }
        #expect(relativeDifference(inputGradient, numericInput) <= 1e-2)
        let numericWeight = centralDifferences(reference.linear.weight.value) { values in
            var copy = reference
            copy.linear.weight.value = values
            return projected(copy.forward(input, rows: r), projection)
        }
        #expect(relativeDifference(projector.linear.weight.gradient, numericWeight) <= 1e-2)

        // Off when not training: the output equals the plain forward pass.
        var evaluation = reference
        evaluation.isTraining = false
        var plain = reference
        plain.dropoutProbability = 0
        #expect(evaluation.forward(input, rows: r) == plain.forward(input, rows: r))
    }

    @Test func tokenProjectorGradientsAccumulate() {
        var random = ProjectorRandom(seed: 5)
        var projector = TokenProjector(inFeatures: 3, hiddenFeatures: 2, outFeatures: 2, random: &random)
        let input = randomArray(6, &random)
        let projection = randomArray(4, &random)
        _ = projector.forward(input, rows: 2)
        _ = projector.backward(outputGradient: projection)
        let once = projector.parameters.map(\.gradient)
        _ = projector.backward(outputGradient: projection)
        for (parameter, single) in zip(projector.parameters, once) {
            for (twice, value) in zip(parameter.gradient, single) { #expect(abs(twice - 2 * value) <= 1e-5 * max(1, abs(value))) }
        }
        projector.zeroGradients()
        #expect(projector.parameters.allSatisfy { $0.gradient.allSatisfy { $0 == 0 } })
    }

    @Test func l2NormalizeGradient() {
        var random = ProjectorRandom(seed: 6)
        let (r, w) = (3, 4)
        let input = randomArray(r * w, &random)
        let projection = randomArray(r * w, &random)
        let analytic = ContrastiveLoss.l2NormalizeBackward(
            input: Tensor(shape: [r, w], scalars: input), outputGradient: Tensor(shape: [r, w], scalars: projection)
        ).scalars
        let numeric = centralDifferences(input) {
            projected(ContrastiveLoss.l2Normalize(Tensor(shape: [r, w], scalars: $0)).scalars, projection)
        }
        #expect(relativeDifference(analytic, numeric) <= 1e-2)
    }

    @Test func contrastiveLossGradients() {
        var random = ProjectorRandom(seed: 7)
        let (batch, width) = (4, 5)
        let image = ContrastiveLoss.l2Normalize(Tensor(shape: [batch, width], scalars: randomArray(batch * width, &random))).scalars
        let text = ContrastiveLoss.l2Normalize(Tensor(shape: [batch, width], scalars: randomArray(batch * width, &random))).scalars
        func tensor(_ scalars: [Float]) -> Tensor { Tensor(shape: [batch, width], scalars: scalars) }
        var loss = ContrastiveLoss(temperature: 0.5)
        let reference = loss
        let result = loss.evaluate(normalizedImage: tensor(image), normalizedText: tensor(text))
        #expect(loss.logitScale.gradient[0] == result.logitScaleGradient)

        let numericImage = centralDifferences(image) {
            var copy = reference
            return Double(copy.evaluate(normalizedImage: tensor($0), normalizedText: tensor(text)).loss)
        }
        #expect(relativeDifference(result.imageGradient.scalars, numericImage) <= 1e-2)
        let numericText = centralDifferences(text) {
            var copy = reference
            return Double(copy.evaluate(normalizedImage: tensor(image), normalizedText: tensor($0)).loss)
        }
        #expect(relativeDifference(result.textGradient.scalars, numericText) <= 1e-2)
        let numericScale = centralDifferences(reference.logitScale.value) {
            var copy = reference
            copy.logitScale.value = $0
            return Double(copy.evaluate(normalizedImage: tensor(image), normalizedText: tensor(text)).loss)
        }
        #expect(relativeDifference([result.logitScaleGradient], numericScale) <= 1e-2)
    }

    @Test func contrastiveLossRawGradients() {
        var random = ProjectorRandom(seed: 8)
        let (batch, width) = (3, 4)
        let image = randomArray(batch * width, &random)
        let text = randomArray(batch * width, &random)
        func tensor(_ scalars: [Float]) -> Tensor { Tensor(shape: [batch, width], scalars: scalars) }
        var loss = ContrastiveLoss()
        let reference = loss
        let result = loss.evaluate(image: tensor(image), text: tensor(text))
        let numericImage = centralDifferences(image) {
            var copy = reference
            return Double(copy.evaluate(image: tensor($0), text: tensor(text)).loss)
        }
        #expect(relativeDifference(result.imageGradient.scalars, numericImage) <= 1e-2)
        let numericText = centralDifferences(text) {
            var copy = reference
            return Double(copy.evaluate(image: tensor(image), text: tensor($0)).loss)
        }
        #expect(relativeDifference(result.textGradient.scalars, numericText) <= 1e-2)
    }

    @Test func contrastiveLossKnownValue() {
        // Orthonormal, perfectly matched pairs: logits = e^s on the diagonal, 0 elsewhere.
        var loss = ContrastiveLoss(temperature: 1)
        let identity = Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])
        let result = loss.evaluate(normalizedImage: identity, normalizedText: identity)
        let expected = Foundation.log(1 + Foundation.exp(-1.0))
        #expect(abs(Double(result.loss) - expected) < 1e-5)
    }

    @Test func temperatureClamp() {
        var loss = ContrastiveLoss()
        #expect(abs(loss.temperature - 0.07) < 1e-6)
        loss.logitScale.value[0] = 100
        loss.clampTemperature()
        #expect(abs(loss.temperature - 0.001) < 1e-6)
        loss.logitScale.value[0] = -3
        loss.clampTemperature()
        #expect(abs(loss.temperature - 0.5) < 1e-6)
    }

    @Test func adamWOneStep() {
        var parameters = [
            ProjectorParameter(name: "w", shape: [2], value: [1, -2], decay: true),
            ProjectorParameter(name: "b", shape: [1], value: [0.5], decay: false),
        ]
        parameters[0].gradient = [0.1, -0.3]
        parameters[1].gradient = [2]
        var optimizer = AdamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        optimizer.update(&parameters, learningRate: 0.01)
        // Step 1: m̂ = g, v̂ = g², so the Adam step is lr · g/(|g| + ε) ≈ lr · sign(g);
        // decay multiplies decayed values by (1 − lr·λ) = 0.999 first.
        let expectedWeight: [Double] = [1 * 0.999 - 0.01 * 0.1 / (0.1 + 1e-8), -2 * 0.999 + 0.01 * 0.3 / (0.3 + 1e-8)]
        #expect(abs(Double(parameters[0].value[0]) - expectedWeight[0]) < 1e-6)
        #expect(abs(Double(parameters[0].value[1]) - expectedWeight[1]) < 1e-6)
        #expect(abs(Double(parameters[1].value[0]) - (0.5 - 0.01)) < 1e-6)
        #expect(optimizer.step == 1)

        // Step 2 with gradient 0 for the bias: m = 0.9·0.2 = 0.18... check against the formula.
        parameters[1].gradient = [0]
        optimizer.update(&parameters, learningRate: 0.01)
        let m = 0.9 * 0.1 * 2.0
        let v = 0.999 * 0.001 * 4.0
        let step = 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        #expect(abs(Double(parameters[1].value[0]) - (0.49 - step)) < 1e-6)
    }

    @Test func learningRateSchedule() {
        let schedule = LearningRateSchedule(startRate: 1e-5, peakRate: 1e-3, finalRate: 1e-5, warmupSteps: 100, totalSteps: 1100)
        #expect(abs(schedule.rate(at: 0) - 1e-5) < 1e-9)
        #expect(abs(schedule.rate(at: 50) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-8)
        #expect(abs(schedule.rate(at: 100) - 1e-3) < 1e-9)
        #expect(abs(schedule.rate(at: 600) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-8)
        #expect(abs(schedule.rate(at: 1100) - 1e-5) < 1e-9)
        #expect(abs(schedule.rate(at: 5000) - 1e-5) < 1e-9)
    }
}

/// `Tests/Fixtures/projector/reference.safetensors`, written by
/// `scripts/make_projector_fixtures.py`.
private let projectorReference = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/projector/reference.safetensors")

/// max |a − b| / max(max |b|, 1).
private func scaledDifference(_ lhs: [Float], _ rhs: [Float]) -> Float {
    var difference: Float = 0
    var scale: Float = 1
    for (a, b) in zip(lhs, rhs) {
        difference = max(difference, abs(a - b))
        scale = max(scale, abs(b))
    }
    return difference / scale
}

@Suite("Projector PyTorch reference")
struct ProjectorReferenceTests {
    @Test func matchesPyTorch() throws {
        let file = try SafeTensorsFile(url: projectorReference)
        let (batch, inFeatures, outFeatures) = (4, 5, 6)
        var random = ProjectorRandom(seed: 0)
        var projector = TokenProjector(inFeatures: inFeatures, hiddenFeatures: 4, outFeatures: outFeatures, random: &random)
        var parameters = projector.parameters
        for index in parameters.indices {
            parameters[index].value = try file.floats("param." + parameters[index].name)
        }
        projector.parameters = parameters
        var loss = ContrastiveLoss()
        loss.logitScale.value = try file.floats("param.logit_scale")
        let image = try file.floats("input.image")
        let text = try file.floats("input.text")

        let projected = projector.forward(image, rows: batch)
        #expect(scaledDifference(projected, try file.floats("output.projected")) < 1e-5)
        let result = loss.evaluate(
            image: Tensor(shape: [batch, outFeatures], scalars: projected), text: Tensor(shape: [batch, outFeatures], scalars: text)
        )
        #expect(abs(result.loss - (try file.floats("output.loss"))[0]) < 1e-4)
        #expect(scaledDifference(result.textGradient.scalars, try file.floats("grad.input.text")) < 1e-4)
        #expect(scaledDifference([result.logitScaleGradient], try file.floats("grad.logit_scale")) < 1e-4)
        let imageGradient = projector.backward(outputGradient: result.imageGradient.scalars)
        #expect(scaledDifference(imageGradient, try file.floats("grad.input.image")) < 1e-4)
        for parameter in projector.parameters {
            let difference = scaledDifference(parameter.gradient, try file.floats("grad." + parameter.name))
            #expect(difference < 1e-4, "\(parameter.name): \(difference)")
        }

        var all = projector.parameters + [loss.logitScale]
        var optimizer = AdamW(weightDecay: 0.02)
        optimizer.update(&all, learningRate: 1e-3)
        loss.logitScale = all.removeLast()
        loss.clampTemperature()
        projector.parameters = all
        for parameter in projector.parameters + [loss.logitScale] {
            let difference = scaledDifference(parameter.value, try file.floats("step." + parameter.name))
            #expect(difference < 1e-5, "\(parameter.name) after one step: \(difference)")
        }
    }
}
