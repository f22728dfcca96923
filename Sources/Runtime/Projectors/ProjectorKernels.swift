/// The raw-pointer loops and BLAS calls of the projectors' training math: ``ProjectorBranch``'s
/// grouped-mean passes, ``Linear``, ``PairProjector``, and (in their own files)
/// ``ContrastiveLoss`` and ``AdamW``.
///
/// The typed code calls these with arrays and layers; pointers stay in the `*Kernels` files.
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
    /// (written to `normalized` unless it is empty), n = (γ ∘ x̂ + β) ∘ dropout with `norm`'s
    /// γ, β and ε (written to `output`, `[rows, width]`), and the per-group mean of n to
    /// `groupMean`, `[groups, width]`. `random` is nil when dropout is off; otherwise the
    /// kept/dropped flags (1/0) go to `mask` unless it is empty.
    static func normalizeGroups(
        _ source: Tensor, width: Int, groups: RowGroups, norm: LayerNormLayer,
        dropout random: ProjectorRandom?, probability: Float, mask: inout [UInt8],
        normalized: inout [Float], output: inout [Float], groupMean: inout [Float]
    ) {
        let input = source.baseAddress
        let kept = 1 / (1 - probability)
        let epsilon = norm.epsilon
        let writesMask = !mask.isEmpty
        let writesNormalized = !normalized.isEmpty
        norm.weight.value.withUnsafeBufferPointer { weight in
            norm.bias.value.withUnsafeBufferPointer { bias in
                mask.withUnsafeMutableBufferPointer { mask in
                    normalized.withUnsafeMutableBufferPointer { normalized in
                        output.withUnsafeMutableBufferPointer { output in
                            groupMean.withUnsafeMutableBufferPointer { groupMean in
                                let (weight, bias, output, groupMean) = (weight.baseAddress!, bias.baseAddress!, output.baseAddress!, groupMean.baseAddress!)
                                let mask = writesMask ? mask.baseAddress : nil
                                let normalized = writesNormalized ? normalized.baseAddress : nil
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
                        }
                    }
                }
            }
        }
    }

    /// n = (γ ∘ x̂ + β) ∘ dropout again, from the cached x̂ `[rows, norm.width]` and mask (empty
    /// when dropout was off), with `norm`'s γ and β, into `output`, for the backward pass.
    static func renormalize(
        _ normalized: [Float], rows: Int, norm: LayerNormLayer, mask: [UInt8], kept: Float, into output: inout [Float]
    ) {
        let width = norm.width
        normalized.withUnsafeBufferPointer { normalized in
            mask.withUnsafeBufferPointer { mask in
                norm.weight.value.withUnsafeBufferPointer { weight in
                    norm.bias.value.withUnsafeBufferPointer { bias in
                        output.withUnsafeMutableBufferPointer { output in
                            let (normalized, weight, bias, output) = (normalized.baseAddress!, weight.baseAddress!, bias.baseAddress!, output.baseAddress!)
                            let mask = mask.isEmpty ? nil : mask.baseAddress
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
                    }
                }
            }
        }
    }

    /// The per-group mean of GELU(pre), `pre` gathered `[rows, width]`, into `groupMean`
    /// `[groups, width]`; with `keepingDerivative`, each pre value is then replaced by
    /// GELU′(pre), all the backward pass needs.
    static func geluGroupMean(
        _ preActivation: inout [Float], width: Int, groups: RowGroups,
        keepingDerivative derivative: Bool, into groupMean: inout [Float]
    ) {
        preActivation.withUnsafeMutableBufferPointer { preActivation in
            groupMean.withUnsafeMutableBufferPointer { groupMean in
                let (preActivation, groupMean) = (preActivation.baseAddress!, groupMean.baseAddress!)
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
        }
    }

    /// In place, d ← (dMean_g / count_g) ∘ d for each gathered row of group g: with d = GELU′(pre)
    /// from ``geluGroupMean(_:width:groups:keepingDerivative:into:)``, the gradient at the GELU
    /// input when the loss sees only the group mean of GELU(pre).
    static func geluGroupBackward(
        _ derivative: inout [Float], width: Int, groups: RowGroups, meanGradient: [Float]
    ) {
        derivative.withUnsafeMutableBufferPointer { derivative in
            meanGradient.withUnsafeBufferPointer { meanGradient in
                let (derivative, meanGradient) = (derivative.baseAddress!, meanGradient.baseAddress!)
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
        }
    }

    /// Writes dMean_g / count_g to every gathered row of group g, `[rows, width]`.
    static func broadcastGroupMeanGradient(
        _ meanGradient: [Float], width: Int, groups: RowGroups, into output: inout [Float]
    ) {
        meanGradient.withUnsafeBufferPointer { meanGradient in
            output.withUnsafeMutableBufferPointer { output in
                let (meanGradient, output) = (meanGradient.baseAddress!, output.baseAddress!)
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
        }
    }

    /// The per-group mean of the source rows, `[groups, width]`.
    static func groupMean(
        _ source: Tensor, width: Int, groups: RowGroups, into output: inout [Float]
    ) {
        let input = source.baseAddress
        output.withUnsafeMutableBufferPointer { output in
            let output = output.baseAddress!
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
    }

    /// Copies the source rows of every group into one gathered `[rows, width]` buffer.
    static func gather(
        _ source: Tensor, width: Int, groups: RowGroups, into output: inout [Float]
    ) {
        let input = source.baseAddress
        output.withUnsafeMutableBufferPointer { output in
            let output = output.baseAddress!
            forEachGroup(groups, width: width) { range in
                for group in range {
                    (output + groups.offsets[group] * width).update(
                        from: input + groups.starts[group] * width, count: groups.counts[group] * width)
                }
            }
        }
    }

    /// Adds the LayerNorm parameter gradients of a token branch to `norm`'s, with the input
    /// gradient not wanted: dβ += Σ_r dA_r and dγ += Σ_r dA_r ∘ x̂_r, where dA = dN ∘ dropout
    /// (`mask` empty when dropout was off), over `rows` rows of `norm.width`.
    static func layerNormParameterGradients(
        _ norm: inout LayerNormLayer, normalizedGradient: [Float], normalized: [Float], rows: Int,
        mask: [UInt8], kept: Float
    ) {
        guard rows > 0 else { return }
        let width = norm.width
        // Moved out so that they are uniquely held and change in place.
        var weightGradient = norm.weight.gradient
        var biasGradient = norm.bias.gradient
        norm.weight.gradient = []
        norm.bias.gradient = []
        defer {
            norm.weight.gradient = weightGradient
            norm.bias.gradient = biasGradient
        }
        let chunks = min(rows, max(1, ComputeThreads.count) * 4)
        var partial = [Float](repeating: 0, count: chunks * 2 * width)
        normalizedGradient.withUnsafeBufferPointer { normalizedGradient in
            normalized.withUnsafeBufferPointer { normalized in
                mask.withUnsafeBufferPointer { mask in
                    weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                        biasGradient.withUnsafeMutableBufferPointer { biasGradient in
                            partial.withUnsafeMutableBufferPointer { partial in
                                let (normalizedGradient, normalized) = (normalizedGradient.baseAddress!, normalized.baseAddress!)
                                let (weightGradient, biasGradient, base) = (weightGradient.baseAddress!, biasGradient.baseAddress!, partial.baseAddress!)
                                let mask = mask.isEmpty ? nil : mask.baseAddress
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
                    }
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

    /// y = x · Wᵀ + b on `rows` rows of `input` (`[rows, in]`) into `output` (`[rows, out]`);
    /// with `accumulate`, added onto `output`.
    ///
    /// With `rowIndependent` (inference) the product runs on zoo's packed kernel
    /// (``PackedLinear``, the weight packed for this call), whose value for a row never depends on
    /// the other rows of the call: an item embeds to the same bits alone, in a batch of 64 or in
    /// a cache block, on every kernel copy. Training keeps OpenBLAS, whose reduction order varies
    /// with the row count.
    static func linearForward(
        _ layer: Linear, input: [Float], rows: Int, into output: inout [Float], accumulate: Bool = false,
        rowIndependent: Bool = false
    ) {
        if rowIndependent {
            let packed = PackedLinear(weight: Tensor(shape: [layer.outFeatures, layer.inFeatures], scalars: layer.weight.value))
            input.withUnsafeBufferPointer { x in
                layer.bias.value.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { y in
                        let output = y.baseAddress!
                        packed(
                            input: x.baseAddress!, rows: rows, bias: b.baseAddress!,
                            residual: accumulate ? UnsafePointer(output) : nil, output: output)
                    }
                }
            }
            return
        }
        input.withUnsafeBufferPointer { x in
            layer.weight.value.withUnsafeBufferPointer { w in
                layer.bias.value.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { y in
                        let output = y.baseAddress!
                        if accumulate {
                            BLAS.linear(
                                input: x.baseAddress!, rows: rows, inFeatures: layer.inFeatures, weight: w.baseAddress!,
                                outFeatures: layer.outFeatures, bias: b.baseAddress!, residual: UnsafePointer(output), output: output)
                        } else {
                            BLAS.linear(
                                input: x.baseAddress!, rows: rows, inFeatures: layer.inFeatures, weight: w.baseAddress!,
                                outFeatures: layer.outFeatures, bias: b.baseAddress!, output: output)
                        }
                    }
                }
            }
        }
    }

    /// Adds dYᵀ · X to the weight gradient of `layer`, for `rows` rows of `input` (`[rows, in]`)
    /// and `outputGradient` (`[rows, out]`).
    static func linearWeightGradient(_ layer: inout Linear, input: [Float], outputGradient: [Float], rows: Int) {
        let (inWidth, outWidth) = (layer.inFeatures, layer.outFeatures)
        // Moved out so that it is uniquely held and changes in place.
        var weightGradient = layer.weight.gradient
        layer.weight.gradient = []
        input.withUnsafeBufferPointer { x in
            outputGradient.withUnsafeBufferPointer { dy in
                weightGradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.sgemm(
                        transposeA: true, m: outWidth, n: inWidth, k: rows,
                        a: dy.baseAddress!, lda: outWidth, b: x.baseAddress!, ldb: inWidth,
                        beta: 1, c: dw.baseAddress!, ldc: inWidth)
                }
            }
        }
        layer.weight.gradient = weightGradient
    }

    /// Adds dYᵀ · X to the weight gradient and the column sums of dY to the bias gradient of
    /// `layer`, with no input gradient.
    static func linearParameterGradients(_ layer: inout Linear, input: [Float], outputGradient: [Float], rows: Int) {
        linearWeightGradient(&layer, input: input, outputGradient: outputGradient, rows: rows)
        let outWidth = layer.outFeatures
        var biasGradient = layer.bias.gradient
        layer.bias.gradient = []
        outputGradient.withUnsafeBufferPointer { dy in
            biasGradient.withUnsafeMutableBufferPointer { addColumnSums(dy.baseAddress!, rows: rows, width: outWidth, into: $0.baseAddress!) }
        }
        layer.bias.gradient = biasGradient
    }

    /// dX = dY · W for `layer` on `rows` rows, `[rows, in]`, into `output`; with `accumulate`,
    /// added onto `output`.
    static func linearInputGradient(_ layer: Linear, outputGradient: [Float], rows: Int, into output: inout [Float], accumulate: Bool = false) {
        let (inWidth, outWidth) = (layer.inFeatures, layer.outFeatures)
        outputGradient.withUnsafeBufferPointer { dy in
            layer.weight.value.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { dx in
                    BLAS.sgemm(
                        m: rows, n: inWidth, k: outWidth,
                        a: dy.baseAddress!, lda: outWidth, b: w.baseAddress!, ldb: inWidth,
                        beta: accumulate ? 1 : 0, c: dx.baseAddress!, ldc: inWidth)
                }
            }
        }
    }

    /// dX = dY · W for `layer` on `rows` rows, `[rows, in]`.
    static func linearInputGradient(_ layer: Linear, outputGradient: [Float], rows: Int) -> [Float] {
        var result = uninitialized(rows * layer.inFeatures)
        linearInputGradient(layer, outputGradient: outputGradient, rows: rows, into: &result)
        return result
    }

    /// target[i] += source[i] for every element of `target`.
    static func add(_ source: [Float], to target: inout [Float]) {
        target.withUnsafeMutableBufferPointer { target in
            source.withUnsafeBufferPointer { source in
                for index in 0..<target.count { target[index] += source[index] }
            }
        }
    }

    /// An array of `count` floats whose contents the caller overwrites before reading.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
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
