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
        // G = dLoss/dlogits = (P − 1 + Q − 1) / (2B) on the diagonal, (P + Q) / (2B) elsewhere,
        // P the row-wise softmax (image → text), Q the column-wise one (text → image). Each
        // softmax takes one exp per element (Float: an underflow to 0 only drops terms below
        // e^-87 of the largest), with maxima, sums and the loss in Double; both passes sweep the
        // matrix row by row.
        let count = batch * batch
        let floatScale = Float(scale)
        var logits = [Float](repeating: 0, count: count)
        for index in 0..<count { logits[index] = floatScale * similarity[index] }
        var logitGradient = [Float](repeating: 0, count: count)
        var exponentials = [Float](repeating: 0, count: count)
        var loss: Double = 0
        let share = 1 / (2 * Double(batch))
        logits.withUnsafeBufferPointer { l in
            logitGradient.withUnsafeMutableBufferPointer { g in
                exponentials.withUnsafeMutableBufferPointer { e in
                    // Rows: image → text.
                    for row in 0..<batch {
                        let base = row * batch
                        var maximum = -Float.infinity
                        for column in 0..<batch { maximum = max(maximum, l[base + column]) }
                        var total: Double = 0
                        for column in 0..<batch {
                            let value = Foundation.exp(l[base + column] - maximum)
                            e[base + column] = value
                            total += Double(value)
                        }
                        loss += (Double(maximum) + Foundation.log(total) - Double(l[base + row])) * share
                        let factor = Float(share / total)
                        for column in 0..<batch { g[base + column] = e[base + column] * factor }
                        g[base + row] -= Float(share)
                    }
                    // Columns: text → image, with per-column maxima and sums.
                    var maxima = [Float](repeating: -.infinity, count: batch)
                    for row in 0..<batch {
                        let base = row * batch
                        for column in 0..<batch { maxima[column] = max(maxima[column], l[base + column]) }
                    }
                    var totals = [Double](repeating: 0, count: batch)
                    for row in 0..<batch {
                        let base = row * batch
                        for column in 0..<batch {
                            let value = Foundation.exp(l[base + column] - maxima[column])
                            e[base + column] = value
                            totals[column] += Double(value)
                        }
                    }
                    let factors = totals.map { Float(share / $0) }
                    for column in 0..<batch {
                        loss += (Double(maxima[column]) + Foundation.log(totals[column]) - Double(l[column * batch + column])) * share
                    }
                    for row in 0..<batch {
                        let base = row * batch
                        for column in 0..<batch { g[base + column] += e[base + column] * factors[column] }
                        g[base + row] -= Float(share)
                    }
                }
            }
        }
        // dLoss/ds = Σ G ∘ logits, since dlogits/ds = logits.
        var scaleGradient: Double = 0
        for index in 0..<count { scaleGradient += Double(logitGradient[index] * logits[index]) }
        // dS = exp(s) · G; dI = dS · T, dT = dSᵀ · I.
        let similarityGradient = logitGradient.map { $0 * floatScale }
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
