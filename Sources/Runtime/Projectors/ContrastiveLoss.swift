import Foundation

/// Symmetric InfoNCE (CLIP's loss) with a learnable temperature, forward and backward.
///
/// The temperature τ is stored as the logit scale s = log(1/τ) (the parameter `logit_scale`,
/// initialised at τ = 0.07, never decayed). For L2-normalised image embeddings I `[B, D]` and
/// text embeddings T `[B, D]`, logits = exp(s) · I · Tᵀ and
/// loss = (mean_i CE(logits_i, i) + mean_j CE(logitsᵀ_j, j)) / 2.
///
/// The clamp of τ to [0.001, 0.5] is not part of the forward pass: the gradient with respect to
/// s is always the unclamped one, and ``clampTemperature()`` clamps the parameter itself after
/// each optimiser step, as the paper's code does. So a gradient that would push τ past a bound
/// still moves s (and the optimiser's moments), and the clamp then pulls it back.
public struct ContrastiveLoss: Sendable {
    /// The result of one evaluation.
    public struct Result: Sendable {
        /// The scalar loss.
        public var loss: Float
        /// dLoss/dI, `[B, D]`, with respect to the embeddings passed in.
        public var imageGradient: [Float]
        /// dLoss/dT, `[B, D]`, with respect to the embeddings passed in.
        public var textGradient: [Float]
        /// dLoss/ds for the logit scale.
        public var logitScaleGradient: Float
    }

    /// The smallest temperature the clamp allows.
    public static let minimumTemperature: Float = 0.001
    /// The largest temperature the clamp allows.
    public static let maximumTemperature: Float = 0.5

    /// The logit scale s = log(1/τ), named `logit_scale`; its gradient accumulates here.
    public var logitScale: ProjectorParameter
    /// Buffers kept from one evaluation to the next.
    private var scratch = ScratchPool()

    /// Creates the loss with temperature `temperature` (0.07 by default).
    public init(temperature: Float = 0.07) {
        logitScale = ProjectorParameter(name: "logit_scale", shape: [], value: [Foundation.log(1 / temperature)], decay: false)
    }

    /// The current temperature, exp(−s).
    public var temperature: Float { Foundation.exp(-logitScale.value[0]) }

    /// Clamps the parameter so that τ lies in [``minimumTemperature``, ``maximumTemperature``],
    /// that is s in [log 2, log 1000]. Call after each optimiser step.
    public mutating func clampTemperature() {
        let lower = Foundation.log(1 / Self.maximumTemperature)
        let upper = Foundation.log(1 / Self.minimumTemperature)
        logitScale.value[0] = min(max(logitScale.value[0], lower), upper)
    }

    /// Loss and gradients for already L2-normalised embeddings; adds dLoss/ds to
    /// ``logitScale``'s gradient as well as returning it.
    ///
    /// - Parameters:
    ///   - image: I, `[batch, width]`, rows of unit length.
    ///   - text: T, `[batch, width]`, rows of unit length; row i pairs with image row i.
    public mutating func evaluate(normalizedImage image: [Float], normalizedText text: [Float], batch: Int, width: Int) -> Result {
        precondition(image.count == batch * width && text.count == batch * width, "ContrastiveLoss: expected \(batch)×\(width) embeddings")
        precondition(batch > 0, "ContrastiveLoss: empty batch")
        let scale = Foundation.exp(logitScale.value[0])
        // Similarities S = I · Tᵀ, [B, B].
        var similarity = scratch.take(batch * batch)
        ProjectorKernels.similarities(image: image, text: text, batch: batch, width: width, into: &similarity)
        // dLoss/dS = exp(s) · G, written over S; the loss and dLoss/ds come back.
        let (loss, scaleGradient) = ProjectorKernels.contrastiveSoftmaxGradients(similarity: &similarity, batch: batch, scale: scale)
        // Written whole by the GEMMs below (beta = 0), so not zeroed first.
        var imageGradient = ProjectorKernels.uninitialized(batch * width)
        var textGradient = ProjectorKernels.uninitialized(batch * width)
        ProjectorKernels.similarityGradients(
            similarity, image: image, text: text, batch: batch, width: width,
            imageGradient: &imageGradient, textGradient: &textGradient)
        scratch.give(similarity)
        logitScale.gradient[0] += scaleGradient
        return Result(loss: loss, imageGradient: imageGradient, textGradient: textGradient, logitScaleGradient: scaleGradient)
    }

    /// Loss and gradients for raw embeddings: L2-normalises both, evaluates, and carries the
    /// gradients back through ``l2NormalizeBackward(input:outputGradient:rows:width:epsilon:)``,
    /// so the returned gradients are with respect to the raw `image` and `text`.
    public mutating func evaluate(image: [Float], text: [Float], batch: Int, width: Int) -> Result {
        precondition(image.count == batch * width && text.count == batch * width, "ContrastiveLoss: expected \(batch)×\(width) embeddings")
        var normalizedImage = scratch.take(batch * width)
        var normalizedText = scratch.take(batch * width)
        let imageNorms = ProjectorKernels.l2NormalizeRows(image, into: &normalizedImage, rows: batch, width: width, epsilon: 1e-12)
        let textNorms = ProjectorKernels.l2NormalizeRows(text, into: &normalizedText, rows: batch, width: width, epsilon: 1e-12)
        var result = evaluate(normalizedImage: normalizedImage, normalizedText: normalizedText, batch: batch, width: width)
        ProjectorKernels.l2NormalizeRowsBackward(normalized: normalizedImage, norms: imageNorms, gradient: &result.imageGradient, rows: batch, width: width, epsilon: 1e-12)
        ProjectorKernels.l2NormalizeRowsBackward(normalized: normalizedText, norms: textNorms, gradient: &result.textGradient, rows: batch, width: width, epsilon: 1e-12)
        scratch.give(normalizedImage)
        scratch.give(normalizedText)
        return result
    }

    /// y = x / max(‖x‖₂, epsilon) for each of `rows` rows of `width`, as PyTorch's `F.normalize`.
    public static func l2Normalize(_ input: [Float], rows: Int, width: Int, epsilon: Float = 1e-12) -> [Float] {
        precondition(input.count == rows * width, "l2Normalize: expected \(rows)×\(width) values")
        return normalized(input, rows: rows, width: width, epsilon: epsilon).output
    }

    /// Backward of ``l2Normalize(_:rows:width:epsilon:)``: per row, with y = x/‖x‖,
    /// dX = (dY − y · ⟨y, dY⟩) / ‖x‖; where ‖x‖ fell below `epsilon`, dX = dY / epsilon.
    ///
    /// - Parameter input: The raw rows the forward pass saw.
    public static func l2NormalizeBackward(input: [Float], outputGradient: [Float], rows: Int, width: Int, epsilon: Float = 1e-12) -> [Float] {
        precondition(input.count == rows * width && outputGradient.count == rows * width, "l2NormalizeBackward: shape mismatch")
        let (output, norms) = normalized(input, rows: rows, width: width, epsilon: epsilon)
        var gradient = outputGradient
        ProjectorKernels.l2NormalizeRowsBackward(normalized: output, norms: norms, gradient: &gradient, rows: rows, width: width, epsilon: epsilon)
        return gradient
    }

    /// The normalised rows and each row's norm ‖x‖₂.
    private static func normalized(_ input: [Float], rows: Int, width: Int, epsilon: Float) -> (output: [Float], norms: [Float]) {
        var output = ProjectorKernels.uninitialized(input.count)
        let norms = ProjectorKernels.l2NormalizeRows(input, into: &output, rows: rows, width: width, epsilon: epsilon)
        return (output, norms)
    }
}
