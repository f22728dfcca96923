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
        // dLoss/dS = exp(s) · G, written over S; the loss and dLoss/ds come back.
        let (loss, scaleGradient) = similarity.withUnsafeMutableBufferPointer {
            Self.softmaxGradients(similarity: $0.baseAddress!, batch: batch, scale: scale)
        }
        // Written whole by the GEMMs below (beta = 0), so not zeroed first.
        var imageGradient = [Float](unsafeUninitializedCapacity: batch * width) { _, initialized in initialized = batch * width }
        var textGradient = [Float](unsafeUninitializedCapacity: batch * width) { _, initialized in initialized = batch * width }
        similarity.withUnsafeBufferPointer { ds in
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
        scratch.give(similarity)
        logitScale.gradient[0] += scaleGradient
        return Result(loss: loss, imageGradient: imageGradient, textGradient: textGradient, logitScaleGradient: scaleGradient)
    }

    /// From the similarities S `[B, B]` and the scale e^s: the loss, dLoss/ds, and
    /// dLoss/dS = e^s · G written over S, where, with logits l = e^s · S,
    /// G = (P + Q)/(2B) − I/B, P the row-wise softmax (image → text) and Q the column-wise one
    /// (text → image), and dLoss/ds = Σ G ∘ l.
    ///
    /// Float throughout, with per-row (or per-column) log-sum-exps and per-row partial sums in
    /// Double; rows and column blocks run on ``ParallelRows`` workers.
    private static func softmaxGradients(similarity: UnsafeMutablePointer<Float>, batch: Int, scale: Float) -> (loss: Float, scaleGradient: Float) {
        let share = 1 / Float(2 * batch)
        var rowLogSum = [Float](repeating: 0, count: batch)
        var columnLogSum = [Float](repeating: 0, count: batch)
        var rowLoss = [Double](repeating: 0, count: batch)
        var rowScaleGradient = [Double](repeating: 0, count: batch)
        rowLogSum.withUnsafeMutableBufferPointer { rowLogSum in
            columnLogSum.withUnsafeMutableBufferPointer { columnLogSum in
                rowLoss.withUnsafeMutableBufferPointer { rowLoss in
                    rowScaleGradient.withUnsafeMutableBufferPointer { rowScaleGradient in
                        let (rowLogSum, columnLogSum) = (rowLogSum.baseAddress!, columnLogSum.baseAddress!)
                        let (rowLoss, rowScaleGradient) = (rowLoss.baseAddress!, rowScaleGradient.baseAddress!)
                        // log Σ_c exp(l_rc) per row.
                        ParallelRows.forEach(count: batch, costPerRow: batch * 8) { rows in
                            var exponentials = [Float](repeating: 0, count: batch)
                            exponentials.withUnsafeMutableBufferPointer { exponentials in
                                let exponentials = exponentials.baseAddress!
                                for row in rows {
                                    let line = similarity + row * batch
                                    let top = scale * ProjectorKernels.maximum(line, count: batch)
                                    for column in 0..<batch { exponentials[column] = FastMath.exp(scale * line[column] - top) }
                                    rowLogSum[row] = top + Foundation.log(ProjectorKernels.sum(exponentials, count: batch))
                                }
                            }
                        }
                        // log Σ_r exp(l_rc) per column, over blocks of columns so rows are read
                        // contiguously.
                        let blockWidth = 64
                        let blocks = (batch + blockWidth - 1) / blockWidth
                        ParallelRows.forEach(count: blocks, costPerRow: batch * blockWidth * 8) { range in
                            let maximum = UnsafeMutablePointer<Float>.allocate(capacity: blockWidth)
                            let total = UnsafeMutablePointer<Float>.allocate(capacity: blockWidth)
                            defer {
                                maximum.deallocate()
                                total.deallocate()
                            }
                            for block in range {
                                let first = block * blockWidth
                                let width = min(blockWidth, batch - first)
                                for column in 0..<width {
                                    maximum[column] = -.infinity
                                    total[column] = 0
                                }
                                for row in 0..<batch {
                                    let line = similarity + row * batch + first
                                    for column in 0..<width { maximum[column] = max(maximum[column], line[column]) }
                                }
                                for column in 0..<width { maximum[column] *= scale }
                                for row in 0..<batch {
                                    let line = similarity + row * batch + first
                                    for column in 0..<width { total[column] += FastMath.exp(scale * line[column] - maximum[column]) }
                                }
                                for column in 0..<width { columnLogSum[first + column] = maximum[column] + Foundation.log(total[column]) }
                            }
                        }
                        // G, dLoss/ds and the loss, row by row; S becomes e^s · G.
                        ParallelRows.forEach(count: batch, costPerRow: batch * 8) { rows in
                            var softmaxSum = [Float](repeating: 0, count: batch)
                            softmaxSum.withUnsafeMutableBufferPointer { softmaxSum in
                                let g = softmaxSum.baseAddress!
                                for row in rows {
                                    let line = similarity + row * batch
                                    let logSum = rowLogSum[row]
                                    let diagonal = scale * line[row]
                                    rowLoss[row] = Double(logSum - diagonal) + Double(columnLogSum[row] - diagonal)
                                    for column in 0..<batch {
                                        let logit = scale * line[column]
                                        g[column] = share * (FastMath.exp(logit - logSum) + FastMath.exp(logit - columnLogSum[column]))
                                    }
                                    // Σ_c G_rc · l_rc, the −1/B on the diagonal included.
                                    let product = scale * ProjectorKernels.dot(g, line, count: batch) - 2 * share * diagonal
                                    for column in 0..<batch { line[column] = scale * g[column] }
                                    line[row] -= scale * 2 * share
                                    rowScaleGradient[row] = Double(product)
                                }
                            }
                        }
                    }
                }
            }
        }
        let loss = rowLoss.reduce(0, +) * Double(share)
        let scaleGradient = rowScaleGradient.reduce(0, +)
        return (Float(loss), Float(scaleGradient))
    }

    /// Loss and gradients for raw embeddings: L2-normalises both, evaluates, and carries the
    /// gradients back through ``l2NormalizeBackward(input:outputGradient:rows:width:epsilon:)``,
    /// so the returned gradients are with respect to the raw `image` and `text`.
    public mutating func evaluate(image: [Float], text: [Float], batch: Int, width: Int) -> Result {
        precondition(image.count == batch * width && text.count == batch * width, "ContrastiveLoss: expected \(batch)×\(width) embeddings")
        var normalizedImage = scratch.take(batch * width)
        var normalizedText = scratch.take(batch * width)
        let imageNorms = Self.normalize(image, into: &normalizedImage, rows: batch, width: width, epsilon: 1e-12)
        let textNorms = Self.normalize(text, into: &normalizedText, rows: batch, width: width, epsilon: 1e-12)
        var result = evaluate(normalizedImage: normalizedImage, normalizedText: normalizedText, batch: batch, width: width)
        Self.normalizeBackward(normalized: normalizedImage, norms: imageNorms, gradient: &result.imageGradient, rows: batch, width: width, epsilon: 1e-12)
        Self.normalizeBackward(normalized: normalizedText, norms: textNorms, gradient: &result.textGradient, rows: batch, width: width, epsilon: 1e-12)
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
        normalizeBackward(normalized: output, norms: norms, gradient: &gradient, rows: rows, width: width, epsilon: epsilon)
        return gradient
    }

    /// The normalised rows and each row's norm ‖x‖₂.
    private static func normalized(_ input: [Float], rows: Int, width: Int, epsilon: Float) -> (output: [Float], norms: [Float]) {
        var output = [Float](unsafeUninitializedCapacity: input.count) { _, initialized in initialized = input.count }
        let norms = normalize(input, into: &output, rows: rows, width: width, epsilon: epsilon)
        return (output, norms)
    }

    /// Writes the normalised rows of `input` to `output` (of the same size); returns each row's
    /// norm ‖x‖₂.
    private static func normalize(_ input: [Float], into output: inout [Float], rows: Int, width: Int, epsilon: Float) -> [Float] {
        var norms = [Float](repeating: 0, count: rows)
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                norms.withUnsafeMutableBufferPointer { norms in
                    let (source, base, norms) = (input.baseAddress!, output.baseAddress!, norms.baseAddress!)
                    ParallelRows.forEach(count: rows, costPerRow: width) { range in
                        for row in range {
                            let (line, target) = (source + row * width, base + row * width)
                            let norm = ProjectorKernels.squaredDeviations(line, count: width, mean: 0).squareRoot()
                            norms[row] = norm
                            let inverse = 1 / max(norm, epsilon)
                            for column in 0..<width { target[column] = line[column] * inverse }
                        }
                    }
                }
            }
        }
        return norms
    }

    /// In place, dY → dX for rows normalised by ``normalized(_:rows:width:epsilon:)``.
    private static func normalizeBackward(normalized: [Float], norms: [Float], gradient: inout [Float], rows: Int, width: Int, epsilon: Float) {
        normalized.withUnsafeBufferPointer { normalized in
            gradient.withUnsafeMutableBufferPointer { gradient in
                let (y, dy) = (normalized.baseAddress!, gradient.baseAddress!)
                ParallelRows.forEach(count: rows, costPerRow: width) { range in
                    for row in range {
                        let (yLine, line) = (y + row * width, dy + row * width)
                        let norm = norms[row]
                        if norm < epsilon {
                            for column in 0..<width { line[column] /= epsilon }
                            continue
                        }
                        let projection = ProjectorKernels.dot(yLine, line, count: width)
                        let inverse = 1 / norm
                        for column in 0..<width { line[column] = (line[column] - yLine[column] * projection) * inverse }
                    }
                }
            }
        }
    }
}
