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
        var similarity = [Float](repeating: 0, count: batch * batch)
        image.withUnsafeBufferPointer { i in
            text.withUnsafeBufferPointer { t in
                similarity.withUnsafeMutableBufferPointer { s in
                    BLAS.sgemm(
                        transposeB: true, m: batch, n: batch, k: width,
                        a: i.baseAddress!, lda: width, b: t.baseAddress!, ldb: width,
                        c: s.baseAddress!, ldc: batch)
                }
            }
        }
        let logits = similarity.map { Double(scale) * Double($0) }
        // G = dLoss/dlogits = (P − 1 + Q − 1) / (2B) on the diagonal, (P + Q) / (2B) elsewhere,
        // P the row-wise softmax (image → text), Q the column-wise one (text → image).
        var logitGradient = [Double](repeating: 0, count: batch * batch)
        var loss: Double = 0
        let share = 1 / (2 * Double(batch))
        for row in 0..<batch {
            var maximum = -Double.infinity
            for column in 0..<batch { maximum = max(maximum, logits[row * batch + column]) }
            var total: Double = 0
            for column in 0..<batch { total += Foundation.exp(logits[row * batch + column] - maximum) }
            let logSum = maximum + Foundation.log(total)
            loss += (logSum - logits[row * batch + row]) * share
            for column in 0..<batch {
                logitGradient[row * batch + column] += Foundation.exp(logits[row * batch + column] - logSum) * share
            }
            logitGradient[row * batch + row] -= share
        }
        for column in 0..<batch {
            var maximum = -Double.infinity
            for row in 0..<batch { maximum = max(maximum, logits[row * batch + column]) }
            var total: Double = 0
            for row in 0..<batch { total += Foundation.exp(logits[row * batch + column] - maximum) }
            let logSum = maximum + Foundation.log(total)
            loss += (logSum - logits[column * batch + column]) * share
            for row in 0..<batch {
                logitGradient[row * batch + column] += Foundation.exp(logits[row * batch + column] - logSum) * share
            }
            logitGradient[column * batch + column] -= share
        }
        // dLoss/ds = Σ G ∘ logits, since dlogits/ds = logits.
        var scaleGradient: Double = 0
        for index in logits.indices { scaleGradient += logitGradient[index] * logits[index] }
        // dS = exp(s) · G; dI = dS · T, dT = dSᵀ · I.
        let similarityGradient = logitGradient.map { Float($0 * Double(scale)) }
        var imageGradient = [Float](repeating: 0, count: batch * width)
        var textGradient = [Float](repeating: 0, count: batch * width)
        similarityGradient.withUnsafeBufferPointer { ds in
            text.withUnsafeBufferPointer { t in
                imageGradient.withUnsafeMutableBufferPointer { di in
                    BLAS.sgemm(
                        m: batch, n: width, k: batch,
                        a: ds.baseAddress!, lda: batch, b: t.baseAddress!, ldb: width,
                        c: di.baseAddress!, ldc: width)
                }
            }
            image.withUnsafeBufferPointer { i in
                textGradient.withUnsafeMutableBufferPointer { dt in
                    BLAS.sgemm(
                        transposeA: true, m: batch, n: width, k: batch,
                        a: ds.baseAddress!, lda: batch, b: i.baseAddress!, ldb: width,
                        c: dt.baseAddress!, ldc: width)
                }
            }
        }
        logitScale.gradient[0] += Float(scaleGradient)
        return Result(loss: Float(loss), imageGradient: imageGradient, textGradient: textGradient, logitScaleGradient: Float(scaleGradient))
    }

    /// Loss and gradients for raw embeddings: L2-normalises both, evaluates, and carries the
    /// gradients back through ``l2NormalizeBackward(input:outputGradient:rows:width:epsilon:)``,
    /// so the returned gradients are with respect to the raw `image` and `text`.
    public mutating func evaluate(image: [Float], text: [Float], batch: Int, width: Int) -> Result {
        let normalizedImage = Self.l2Normalize(image, rows: batch, width: width)
        let normalizedText = Self.l2Normalize(text, rows: batch, width: width)
        var result = evaluate(normalizedImage: normalizedImage, normalizedText: normalizedText, batch: batch, width: width)
        result.imageGradient = Self.l2NormalizeBackward(input: image, outputGradient: result.imageGradient, rows: batch, width: width)
        result.textGradient = Self.l2NormalizeBackward(input: text, outputGradient: result.textGradient, rows: batch, width: width)
        return result
    }

    /// y = x / max(‖x‖₂, epsilon) for each of `rows` rows of `width`, as PyTorch's `F.normalize`.
    public static func l2Normalize(_ input: [Float], rows: Int, width: Int, epsilon: Float = 1e-12) -> [Float] {
        precondition(input.count == rows * width, "l2Normalize: expected \(rows)×\(width) values")
        var output = input
        for row in 0..<rows {
            let start = row * width
            let scale = 1 / max(Float(rowNorm(input, start: start, width: width)), epsilon)
            for column in 0..<width { output[start + column] *= scale }
        }
        return output
    }

    /// Backward of ``l2Normalize(_:rows:width:epsilon:)``: per row, with y = x/‖x‖,
    /// dX = (dY − y · ⟨y, dY⟩) / ‖x‖; where ‖x‖ fell below `epsilon`, dX = dY / epsilon.
    ///
    /// - Parameter input: The raw rows the forward pass saw.
    public static func l2NormalizeBackward(input: [Float], outputGradient: [Float], rows: Int, width: Int, epsilon: Float = 1e-12) -> [Float] {
        precondition(input.count == rows * width && outputGradient.count == rows * width, "l2NormalizeBackward: shape mismatch")
        var result = [Float](repeating: 0, count: rows * width)
        for row in 0..<rows {
            let start = row * width
            let norm = rowNorm(input, start: start, width: width)
            if norm < Double(epsilon) {
                for column in 0..<width { result[start + column] = outputGradient[start + column] / epsilon }
                continue
            }
            var projection: Double = 0
            for column in 0..<width { projection += Double(input[start + column]) / norm * Double(outputGradient[start + column]) }
            for column in 0..<width {
                let y = Double(input[start + column]) / norm
                result[start + column] = Float((Double(outputGradient[start + column]) - y * projection) / norm)
            }
        }
        return result
    }

    private static func rowNorm(_ values: [Float], start: Int, width: Int) -> Double {
        var squares: Double = 0
        for column in 0..<width { squares += Double(values[start + column]) * Double(values[start + column]) }
        return squares.squareRoot()
    }
}
