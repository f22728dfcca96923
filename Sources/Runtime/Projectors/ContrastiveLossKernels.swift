import Foundation

/// The raw-pointer loops and BLAS calls of ``ContrastiveLoss``.
extension ProjectorKernels {
    /// S = I · Tᵀ, `[batch, batch]`, into `similarity`, for `image` and `text` `[batch, width]`.
    static func similarities(image: [Float], text: [Float], batch: Int, width: Int, into similarity: inout [Float]) {
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
    }

    /// dI = dS · T into `imageGradient` and dT = dSᵀ · I into `textGradient` (both
    /// `[batch, width]`, overwritten), from dLoss/dS `[batch, batch]`.
    static func similarityGradients(
        _ similarityGradient: [Float], image: [Float], text: [Float], batch: Int, width: Int,
        imageGradient: inout [Float], textGradient: inout [Float]
    ) {
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
    }

    /// From the similarities S `[B, B]` and the scale e^s: the loss, dLoss/ds, and
    /// dLoss/dS = e^s · G written over S, where, with logits l = e^s · S,
    /// G = (P + Q)/(2B) − I/B, P the row-wise softmax (image → text) and Q the column-wise one
    /// (text → image), and dLoss/ds = Σ G ∘ l.
    ///
    /// Float throughout, with per-row (or per-column) log-sum-exps and per-row partial sums in
    /// Double; rows and column blocks run on ``ParallelRows`` workers.
    static func contrastiveSoftmaxGradients(similarity: inout [Float], batch: Int, scale: Float) -> (loss: Float, scaleGradient: Float) {
        similarity.withUnsafeMutableBufferPointer { similarity in
            let similarity = similarity.baseAddress!
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
                                        let top = scale * maximum(line, count: batch)
                                        for column in 0..<batch { exponentials[column] = FastMath.exp(scale * line[column] - top) }
                                        rowLogSum[row] = top + Foundation.log(sum(exponentials, count: batch))
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
                                        let product = scale * dot(g, line, count: batch) - 2 * share * diagonal
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
    }

    /// Writes the normalised rows of `input` to `output` (of the same size); returns each row's
    /// norm ‖x‖₂.
    static func l2NormalizeRows(_ input: [Float], into output: inout [Float], rows: Int, width: Int, epsilon: Float) -> [Float] {
        var norms = [Float](repeating: 0, count: rows)
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                norms.withUnsafeMutableBufferPointer { norms in
                    let (source, base, norms) = (input.baseAddress!, output.baseAddress!, norms.baseAddress!)
                    ParallelRows.forEach(count: rows, costPerRow: width) { range in
                        for row in range {
                            let (line, target) = (source + row * width, base + row * width)
                            let norm = squaredDeviations(line, count: width, mean: 0).squareRoot()
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

    /// In place, dY → dX for rows normalised by ``l2NormalizeRows(_:into:rows:width:epsilon:)``:
    /// per row, with y = x/‖x‖, dX = (dY − y · ⟨y, dY⟩) / ‖x‖; where ‖x‖ fell below `epsilon`,
    /// dX = dY / epsilon.
    static func l2NormalizeRowsBackward(normalized: [Float], norms: [Float], gradient: inout [Float], rows: Int, width: Int, epsilon: Float) {
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
                        let projection = dot(yLine, line, count: width)
                        let inverse = 1 / norm
                        for column in 0..<width { line[column] = (line[column] - yLine[column] * projection) * inverse }
                    }
                }
            }
        }
    }
}
