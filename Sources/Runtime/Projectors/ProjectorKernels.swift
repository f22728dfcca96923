/// Raw-pointer loops behind ``ProjectorBranch``'s grouped-mean passes and ``PairProjector``.
///
/// Everything is Float; row reductions use SIMD accumulators; loops over groups run on
/// ``ParallelRows`` workers, between (never during) BLAS calls.
enum ProjectorKernels {
    /// The dropout factor of element `index` of a forward pass that started with generator
    /// `random`: 0 with probability `probability`, else `kept` = 1/(1 − p), drawn exactly as
    /// ``TokenProjector`` draws it (one ``ProjectorRandom/next()`` per element, in order).
    @inline(__always)
    static func dropoutFactor(_ random: ProjectorRandom, index: Int, probability: Float, kept: Float) -> Float {
        Float(random.peek(offset: index) >> 40) / Float(1 << 24) < probability ? 0 : kept
    }

    /// The sum of `count` values.
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var first = SIMD8<Float>()
        var second = SIMD8<Float>()
        var index = 0
        while index + 16 <= count {
            first += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            second += raw.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self)
            index += 16
        }
        var total = (first + second).sum()
        while index < count {
            total += values[index]
            index += 1
        }
        return total
    }

    /// Σ a ∘ b.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let (rawA, rawB) = (UnsafeRawPointer(a), UnsafeRawPointer(b))
        var first = SIMD8<Float>()
        var second = SIMD8<Float>()
        var index = 0
        while index + 16 <= count {
            first += rawA.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self) * rawB.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            second += rawA.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self) * rawB.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self)
            index += 16
        }
        var total = (first + second).sum()
        while index < count {
            total += a[index] * b[index]
            index += 1
        }
        return total
    }

    /// The largest of `count` values (−∞ when `count` is 0).
    @inline(__always)
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var index = 0
        while index + 8 <= count {
            let next = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            lanes.replace(with: next, where: next .> lanes)
            index += 8
        }
        var result = lanes.max()
        while index < count {
            result = max(result, values[index])
            index += 1
        }
        return result
    }

    /// Σ (values − mean)².
    @inline(__always)
    static func squaredDeviations(_ values: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        let raw = UnsafeRawPointer(values)
        let center = SIMD8<Float>(repeating: mean)
        var first = SIMD8<Float>()
        var second = SIMD8<Float>()
        var index = 0
        while index + 16 <= count {
            let a = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self) - center
            let b = raw.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self) - center
            first += a * a
            second += b * b
            index += 16
        }
        var total = (first + second).sum()
        while index < count {
            let deviation = values[index] - mean
            total += deviation * deviation
            index += 1
        }
        return total
    }

    /// Runs `body` on ranges of groups, in parallel when the groups hold enough work.
    @inline(__always)
    static func forEachGroup(_ groups: RowGroups, width: Int, _ body: (Range<Int>) -> Void) {
        let cost = (groups.totalRows / max(groups.count, 1) + 1) * width
        ParallelRows.forEach(count: groups.count, costPerRow: cost, body)
    }

    /// The LayerNorm + dropout front of a token branch over gathered rows.
    ///
    /// For every gathered row r (source row `input + source · width`): x̂ = (x − mean)/√(var + ε)
    /// (written to `normalized` when not nil), n = (γ ∘ x̂ + β) ∘ dropout (written to `output`,
    /// `[rows, width]`), and the per-group mean of n to `groupMean`, `[groups, width]`.
    /// `random` is nil when dropout is off; otherwise the kept/dropped flags (1/0) go to `mask`
    /// when it is not nil.
    static func normalizeGroups(
        input: UnsafePointer<Float>, width: Int, groups: RowGroups, epsilon: Float,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        dropout random: ProjectorRandom?, probability: Float, mask: UnsafeMutablePointer<UInt8>?,
        normalized: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>,
        groupMean: UnsafeMutablePointer<Float>
    ) {
        let kept = 1 / (1 - probability)
        forEachGroup(groups, width: width) { range in
            for group in range {
                let mean = groupMean + group * width
                mean.update(repeating: 0, count: width)
                for row in 0..<groups.counts[group] {
                    let gathered = groups.offsets[group] + row
                    let source = input + (groups.starts[group] + row) * width
                    let average = sum(source, count: width) / Float(width)
                    let inverse = 1 / (squaredDeviations(source, count: width, mean: average) / Float(width) + epsilon).squareRoot()
                    let target = output + gathered * width
                    if let normalized {
                        let line = normalized + gathered * width
                        for column in 0..<width { line[column] = (source[column] - average) * inverse }
                    }
                    for column in 0..<width {
                        target[column] = (source[column] - average) * inverse * weight[column] + bias[column]
                    }
                    if let random {
                        let base = gathered * width
                        if let mask {
                            let flags = mask + base
                            for column in 0..<width {
                                let keep = dropoutFactor(random, index: base + column, probability: probability, kept: 1)
                                flags[column] = UInt8(keep)
                                target[column] *= keep * kept
                            }
                        } else {
                            for column in 0..<width { target[column] *= dropoutFactor(random, index: base + column, probability: probability, kept: kept) }
                        }
                    }
                    for column in 0..<width { mean[column] += target[column] }
                }
                let scale = 1 / Float(groups.counts[group])
                for column in 0..<width { mean[column] *= scale }
            }
        }
    }

    /// n = (γ ∘ x̂ + β) ∘ dropout again, from the cached x̂ and mask (nil when dropout was off),
    /// for the backward pass.
    static func renormalize(
        normalized: UnsafePointer<Float>, rows: Int, width: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        mask: UnsafePointer<UInt8>?, kept: Float,
        output: UnsafeMutablePointer<Float>
    ) {
        ParallelRows.forEach(count: rows, costPerRow: width) { range in
            for row in range {
                let source = normalized + row * width
                let target = output + row * width
                if let mask {
                    let flags = mask + row * width
                    for column in 0..<width { target[column] = (source[column] * weight[column] + bias[column]) * (Float(flags[column]) * kept) }
                } else {
                    for column in 0..<width { target[column] = source[column] * weight[column] + bias[column] }
                }
            }
        }
    }

    /// The per-group mean of GELU(pre), `pre` gathered `[rows, width]`, into `groupMean`
    /// `[groups, width]`; with `derivative`, each pre value is then replaced by GELU′(pre),
    /// all the backward pass needs.
    static func geluGroupMean(
        preActivation: UnsafeMutablePointer<Float>, width: Int, groups: RowGroups,
        derivative: Bool, groupMean: UnsafeMutablePointer<Float>
    ) {
        forEachGroup(groups, width: width) { range in
            for group in range {
                let mean = groupMean + group * width
                mean.update(repeating: 0, count: width)
                for row in groups.offsets[group]..<groups.offsets[group + 1] {
                    let line = preActivation + row * width
                    if derivative {
                        for column in 0..<width {
                            let x = line[column]
                            mean[column] += x * GELUForm.exactCDF(x)
                            line[column] = GELUForm.exactDerivative(x)
                        }
                    } else {
                        for column in 0..<width { mean[column] += GELUForm.exact.apply(line[column]) }
                    }
                }
                let scale = 1 / Float(groups.counts[group])
                for column in 0..<width { mean[column] *= scale }
            }
        }
    }

    /// In place, d ← (dMean_g / count_g) ∘ d for each gathered row of group g: with d = GELU′(pre)
    /// from ``geluGroupMean(preActivation:width:groups:derivative:groupMean:)``, the gradient at
    /// the GELU input when the loss sees only the group mean of GELU(pre).
    static func geluGroupBackward(
        derivative: UnsafeMutablePointer<Float>, width: Int, groups: RowGroups,
        meanGradient: UnsafePointer<Float>
    ) {
        forEachGroup(groups, width: width) { range in
            for group in range {
                let scale = 1 / Float(groups.counts[group])
                let gradient = meanGradient + group * width
                for row in groups.offsets[group]..<groups.offsets[group + 1] {
                    let line = derivative + row * width
                    for column in 0..<width { line[column] *= gradient[column] * scale }
                }
            }
        }
    }

    /// Writes dMean_g / count_g to every gathered row of group g, `[rows, width]`.
    static func broadcastGroupMeanGradient(
        _ meanGradient: UnsafePointer<Float>, width: Int, groups: RowGroups, output: UnsafeMutablePointer<Float>
    ) {
        forEachGroup(groups, width: width) { range in
            for group in range {
                let scale = 1 / Float(groups.counts[group])
                let gradient = meanGradient + group * width
                for row in groups.offsets[group]..<groups.offsets[group + 1] {
                    let line = output + row * width
                    for column in 0..<width { line[column] = gradient[column] * scale }
                }
            }
        }
    }

    /// The per-group mean of the source rows, `[groups, width]`.
    static func groupMean(
        input: UnsafePointer<Float>, width: Int, groups: RowGroups, output: UnsafeMutablePointer<Float>
    ) {
        forEachGroup(groups, width: width) { range in
            for group in range {
                let mean = output + group * width
                let first = input + groups.starts[group] * width
                mean.update(from: first, count: width)
                for row in 1..<max(groups.counts[group], 1) {
                    let line = first + row * width
                    for column in 0..<width { mean[column] += line[column] }
                }
                if groups.counts[group] > 1 {
                    let scale = 1 / Float(groups.counts[group])
                    for column in 0..<width { mean[column] *= scale }
                }
            }
        }
    }

    /// Copies the source rows of every group into one gathered `[rows, width]` buffer.
    static func gather(
        input: UnsafePointer<Float>, width: Int, groups: RowGroups, output: UnsafeMutablePointer<Float>
    ) {
        forEachGroup(groups, width: width) { range in
            for group in range {
                (output + groups.offsets[group] * width).update(
                    from: input + groups.starts[group] * width, count: groups.counts[group] * width)
            }
        }
    }

    /// The LayerNorm parameter gradients of a token branch, with the input gradient not wanted:
    /// dβ += Σ_r dA_r and dγ += Σ_r dA_r ∘ x̂_r, where dA = dN ∘ dropout (`mask` nil when
    /// dropout was off).
    static func layerNormParameterGradients(
        normalizedGradient: UnsafePointer<Float>, normalized: UnsafePointer<Float>, rows: Int, width: Int,
        mask: UnsafePointer<UInt8>?, kept: Float,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0 else { return }
        let chunks = min(rows, max(1, ComputeThreads.count) * 4)
        var partial = [Float](repeating: 0, count: chunks * 2 * width)
        partial.withUnsafeMutableBufferPointer { partial in
            let base = partial.baseAddress!
            ParallelRows.forEach(count: chunks, costPerRow: rows / chunks * width) { range in
                for chunk in range {
                    let weightSum = base + chunk * 2 * width
                    let biasSum = weightSum + width
                    for row in rows * chunk / chunks ..< rows * (chunk + 1) / chunks {
                        let gradient = normalizedGradient + row * width
                        let xhat = normalized + row * width
                        if let mask {
                            let flags = mask + row * width
                            for column in 0..<width {
                                let value = gradient[column] * (Float(flags[column]) * kept)
                                biasSum[column] += value
                                weightSum[column] += value * xhat[column]
                            }
                        } else {
                            for column in 0..<width {
                                biasSum[column] += gradient[column]
                                weightSum[column] += gradient[column] * xhat[column]
                            }
                        }
                    }
                }
            }
            for chunk in 0..<chunks {
                let weightSum = base + chunk * 2 * width
                for column in 0..<width {
                    weightGradient[column] += weightSum[column]
                    biasGradient[column] += weightSum[width + column]
                }
            }
        }
    }

    /// gradient += column sums of `values` `[rows, width]`.
    static func addColumnSums(_ values: UnsafePointer<Float>, rows: Int, width: Int, into gradient: UnsafeMutablePointer<Float>) {
        guard rows > 0, width > 0 else { return }
        if rows < 64 {
            for row in 0..<rows {
                let line = values + row * width
                for column in 0..<width { gradient[column] += line[column] }
            }
            return
        }
        // Σ_r values_r as a 1 × rows by rows × width product, on BLAS's threads.
        let ones = [Float](repeating: 1, count: rows)
        ones.withUnsafeBufferPointer { ones in
            BLAS.sgemm(
                m: 1, n: width, k: rows, a: ones.baseAddress!, lda: rows, b: values, ldb: width,
                beta: 1, c: gradient, ldc: width)
        }
    }

    /// y = x · Wᵀ + b on `rows` rows of a linear layer's parameters.
    static func linearForward(_ layer: Linear, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        layer.weight.value.withUnsafeBufferPointer { w in
            layer.bias.value.withUnsafeBufferPointer { b in
                if accumulate {
                    BLAS.linear(
                        input: input, rows: rows, inFeatures: layer.inFeatures, weight: w.baseAddress!,
                        outFeatures: layer.outFeatures, bias: b.baseAddress!, residual: UnsafePointer(output), output: output)
                } else {
                    BLAS.linear(
                        input: input, rows: rows, inFeatures: layer.inFeatures, weight: w.baseAddress!,
                        outFeatures: layer.outFeatures, bias: b.baseAddress!, output: output)
                }
            }
        }
    }

    /// Adds dYᵀ · X to the weight gradient and the column sums of dY to the bias gradient of
    /// `layer`, with no input gradient.
    static func linearParameterGradients(_ layer: inout Linear, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, rows: Int) {
        let (inWidth, outWidth) = (layer.inFeatures, layer.outFeatures)
        var weightGradient = layer.weight.gradient
        layer.weight.gradient = []
        weightGradient.withUnsafeMutableBufferPointer { dw in
            BLAS.sgemm(
                transposeA: true, m: outWidth, n: inWidth, k: rows,
                a: outputGradient, lda: outWidth, b: input, ldb: inWidth,
                beta: 1, c: dw.baseAddress!, ldc: inWidth)
        }
        layer.weight.gradient = weightGradient
        var biasGradient = layer.bias.gradient
        layer.bias.gradient = []
        biasGradient.withUnsafeMutableBufferPointer { addColumnSums(outputGradient, rows: rows, width: outWidth, into: $0.baseAddress!) }
        layer.bias.gradient = biasGradient
    }

    /// dX = dY · W for `layer`, `[rows, in]`; with `accumulate`, added onto `output`.
    static func linearInputGradient(_ layer: Linear, outputGradient: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let (inWidth, outWidth) = (layer.inFeatures, layer.outFeatures)
        layer.weight.value.withUnsafeBufferPointer { w in
            BLAS.sgemm(
                m: rows, n: inWidth, k: outWidth,
                a: outputGradient, lda: outWidth, b: w.baseAddress!, ldb: inWidth,
                beta: accumulate ? 1 : 0, c: output, ldc: inWidth)
        }
    }

    /// Each of `rows` rows divided by max(‖row‖₂, 1e-12), as PyTorch's `F.normalize`.
    static func l2NormalizeRows(_ values: inout [Float], rows: Int, width: Int) {
        values.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            ParallelRows.forEach(count: rows, costPerRow: width) { range in
                for row in range {
                    let line = base + row * width
                    let norm = squaredDeviations(line, count: width, mean: 0).squareRoot()
                    let scale = 1 / max(norm, 1e-12)
                    for column in 0..<width { line[column] *= scale }
                }
            }
        }
    }
}
