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
        public var imageGradient: Tensor
        /// dLoss/dT, `[B, D]`, with respect to the embeddings passed in.
        public var textGradient: Tensor
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
    public mutating func evaluate(normalizedImage image: Tensor, normalizedText text: Tensor) -> Result {
        let (batch, width) = Self.pairShape(image, text)
        var imageGradient = ProjectorKernels.uninitialized(batch * width)
        var textGradient = ProjectorKernels.uninitialized(batch * width)
        let (loss, scaleGradient) = evaluateNormalized(image: image.scalars, text: text.scalars, batch: batch, width: width, imageGradient: &imageGradient, textGradient: &textGradient)
        return Result(
            loss: loss, imageGradient: Tensor(shape: [batch, width], scalars: imageGradient),
            textGradient: Tensor(shape: [batch, width], scalars: textGradient), logitScaleGradient: scaleGradient)
    }

    /// Loss and gradients for raw embeddings `[batch, width]`: L2-normalises both, evaluates,
    /// and carries the gradients back through ``l2NormalizeBackward(input:outputGradient:epsilon:)``,
    /// so the returned gradients are with respect to the raw `image` and `text`.
    public mutating func evaluate(image: Tensor, text: Tensor) -> Result {
        let (batch, width) = Self.pairShape(image, text)
        var normalizedImage = scratch.take(batch * width)
        var normalizedText = scratch.take(batch * width)
        let imageNorms = ProjectorKernels.l2NormalizeRows(image.scalars, into: &normalizedImage, rows: batch, width: width, epsilon: 1e-12)
        let textNorms = ProjectorKernels.l2NormalizeRows(text.scalars, into: &normalizedText, rows: batch, width: width, epsilon: 1e-12)
        // Written whole by the GEMMs of the evaluation (beta = 0), so not zeroed first.
        var imageGradient = ProjectorKernels.uninitialized(batch * width)
        var textGradient = ProjectorKernels.uninitialized(batch * width)
        let (loss, scaleGradient) = evaluateNormalized(image: normalizedImage, text: normalizedText, batch: batch, width: width, imageGradient: &imageGradient, textGradient: &textGradient)
        ProjectorKernels.l2NormalizeRowsBackward(normalized: normalizedImage, norms: imageNorms, gradient: &imageGradient, rows: batch, width: width, epsilon: 1e-12)
        ProjectorKernels.l2NormalizeRowsBackward(normalized: normalizedText, norms: textNorms, gradient: &textGradient, rows: batch, width: width, epsilon: 1e-12)
        scratch.give(normalizedImage)
        scratch.give(normalizedText)
        return Result(
            loss: loss, imageGradient: Tensor(shape: [batch, width], scalars: imageGradient),
            textGradient: Tensor(shape: [batch, width], scalars: textGradient), logitScaleGradient: scaleGradient)
    }

    /// The batch size and width of a pair of `[batch, width]` embedding tensors.
    private static func pairShape(_ image: Tensor, _ text: Tensor) -> (batch: Int, width: Int) {
        precondition(image.rank == 2 && image.shape == text.shape, "ContrastiveLoss: expected image and text embeddings of one [batch, width] shape, got \(image.shape) and \(text.shape)")
        precondition(image.dimension(0) > 0, "ContrastiveLoss: empty batch")
        return (image.dimension(0), image.dimension(1))
    }

    /// The loss and dLoss/ds; writes the gradients with respect to the normalised rows over
    /// `imageGradient` and `textGradient` (`[batch, width]` each) and adds dLoss/ds to
    /// ``logitScale``'s gradient.
    private mutating func evaluateNormalized(
        image: [Float], text: [Float], batch: Int, width: Int, imageGradient: inout [Float], textGradient: inout [Float]
    ) -> (loss: Float, scaleGradient: Float) {
        let scale = Foundation.exp(logitScale.value[0])
        // Similarities S = I · Tᵀ, [B, B].
        var similarity = scratch.take(batch * batch)
        ProjectorKernels.similarities(image: image, text: text, batch: batch, width: width, into: &similarity)
        // dLoss/dS = exp(s) · G, written over S; the loss and dLoss/ds come back.
        let (loss, scaleGradient) = ProjectorKernels.contrastiveSoftmaxGradients(similarity: &similarity, batch: batch, scale: scale)
        ProjectorKernels.similarityGradients(
            similarity, image: image, text: text, batch: batch, width: width,
            imageGradient: &imageGradient, textGradient: &textGradient)
        scratch.give(similarity)
        logitScale.gradient[0] += scaleGradient
        return (loss, scaleGradient)
    }

    /// y = x / max(‖x‖₂, epsilon) for each row of `input` (`[rows, width]`), as PyTorch's `F.normalize`.
    public static func l2Normalize(_ input: Tensor, epsilon: Float = 1e-12) -> Tensor {
        precondition(input.rank == 2, "l2Normalize: expected [rows, width], got \(input.shape)")
        return Tensor(shape: input.shape, scalars: normalized(input.scalars, rows: input.dimension(0), width: input.dimension(1), epsilon: epsilon).output)
    }

    /// Backward of ``l2Normalize(_:epsilon:)``: per row, with y = x/‖x‖,
    /// dX = (dY − y · ⟨y, dY⟩) / ‖x‖; where ‖x‖ fell below `epsilon`, dX = dY / epsilon.
    ///
    /// - Parameter input: The raw rows the forward pass saw, `[rows, width]`.
    public static func l2NormalizeBackward(input: Tensor, outputGradient: Tensor, epsilon: Float = 1e-12) -> Tensor {
        precondition(input.rank == 2 && input.shape == outputGradient.shape, "l2NormalizeBackward: shape mismatch \(input.shape) vs \(outputGradient.shape)")
        let (rows, width) = (input.dimension(0), input.dimension(1))
        let (output, norms) = normalized(input.scalars, rows: rows, width: width, epsilon: epsilon)
        var gradient = outputGradient.scalars
        ProjectorKernels.l2NormalizeRowsBackward(normalized: output, norms: norms, gradient: &gradient, rows: rows, width: width, epsilon: epsilon)
        return Tensor(shape: input.shape, scalars: gradient)
    }

    /// The normalised rows and each row's norm ‖x‖₂.
    private static func normalized(_ input: [Float], rows: Int, width: Int, epsilon: Float) -> (output: [Float], norms: [Float]) {
        var output = ProjectorKernels.uninitialized(input.count)
        let norms = ProjectorKernels.l2NormalizeRows(input, into: &output, rows: rows, width: width, epsilon: epsilon)
        return (output, norms)
    }
}
