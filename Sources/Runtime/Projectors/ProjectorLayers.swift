import Foundation

/// A fully connected layer, y = x · Wᵀ + b, with PyTorch's `nn.Linear` layout (weight
/// `[out, in]`) and an explicit backward pass.
///
/// Parameters are named `weight` and `bias`. Activations are row-major `[rows, features]`
/// buffers; every product runs through ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
public struct Linear: Sendable {
    /// The input width.
    public let inFeatures: Int
    /// The output width.
    public let outFeatures: Int
    /// The `[out, in]` weight, named `weight`; decayed.
    public var weight: ProjectorParameter
    /// The `[out]` bias, named `bias`; not decayed.
    public var bias: ProjectorParameter

    /// Creates a layer with weights and biases uniform in ±1/√in, as PyTorch initialises them.
    public init(inFeatures: Int, outFeatures: Int, random: inout ProjectorRandom) {
        let bound = 1 / Float(max(inFeatures, 1)).squareRoot()
        let weights = (0..<(inFeatures * outFeatures)).map { _ in random.uniform(bound: bound) }
        let biases = (0..<outFeatures).map { _ in random.uniform(bound: bound) }
        self.init(inFeatures: inFeatures, outFeatures: outFeatures, weight: weights, bias: biases)
    }

    /// Creates a layer from explicit values.
    ///
    /// - Precondition: `weight` holds `outFeatures × inFeatures` values and `bias` `outFeatures`.
    public init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = ProjectorParameter(name: "weight", shape: [outFeatures, inFeatures], value: weight, decay: true)
        self.bias = ProjectorParameter(name: "bias", shape: [outFeatures], value: bias, decay: false)
    }

    /// The parameters, weight first.
    public var parameters: [ProjectorParameter] { [weight, bias] }

    /// y = x · Wᵀ + b for `rows` rows of `input` (`[rows, in]`); returns `[rows, out]`. With
    /// `rowIndependent` (inference), each row's values do not depend on the other rows (see
    /// `ProjectorKernels.linearForward`).
    public func forward(_ input: [Float], rows: Int, rowIndependent: Bool = false) -> [Float] {
        precondition(input.count == rows * inFeatures, "Linear: expected \(rows)×\(inFeatures) inputs, got \(input.count)")
        var output = [Float](repeating: 0, count: rows * outFeatures)
        ProjectorKernels.linearForward(self, input: input, rows: rows, into: &output, rowIndependent: rowIndependent)
        return output
    }

    /// Backward pass: returns dX = dY · W and adds dYᵀ · X to the weight gradient and the
    /// column sums of dY to the bias gradient.
    ///
    /// - Parameters:
    ///   - input: The `[rows, in]` input the forward pass saw.
    ///   - outputGradient: dLoss/dY, `[rows, out]`.
    public mutating func backward(input: [Float], outputGradient: [Float], rows: Int) -> [Float] {
        precondition(input.count == rows * inFeatures && outputGradient.count == rows * outFeatures, "Linear: backward shape mismatch")
        var inputGradient = [Float](repeating: 0, count: rows * inFeatures)
        ProjectorKernels.linearInputGradient(self, outputGradient: outputGradient, rows: rows, into: &inputGradient)
        ProjectorKernels.linearWeightGradient(&self, input: input, outputGradient: outputGradient, rows: rows)
        for row in 0..<rows {
            let start = row * outFeatures
            for column in 0..<outFeatures { bias.gradient[column] += outputGradient[start + column] }
        }
        return inputGradient
    }

    /// Zeroes both gradients.
    public mutating func zeroGradients() {
        weight.zeroGradient()
        bias.zeroGradient()
    }
}

/// LayerNorm over the last dimension with a learnable affine (`weight`, `bias`), matching
/// PyTorch's `nn.LayerNorm` (biased variance, epsilon inside the square root), with an exact
/// backward pass.
public struct LayerNormLayer: Sendable {
    /// What the backward pass needs from a forward pass.
    public struct Cache: Sendable {
        /// (x − mean) / √(variance + epsilon), `[rows, width]`.
        public var normalized: [Float]
        /// 1 / √(variance + epsilon) per row.
        public var inverseDeviation: [Float]
    }

    /// The normalised width.
    public let width: Int
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// The `[width]` scale, named `weight`; not decayed.
    public var weight: ProjectorParameter
    /// The `[width]` shift, named `bias`; not decayed.
    public var bias: ProjectorParameter

    /// Creates a layer with unit scale and zero shift, as PyTorch initialises it.
    public init(width: Int, epsilon: Float = 1e-5) {
        self.init(width: width, weight: [Float](repeating: 1, count: width), bias: [Float](repeating: 0, count: width), epsilon: epsilon)
    }

    /// Creates a layer from explicit values.
    public init(width: Int, weight: [Float], bias: [Float], epsilon: Float = 1e-5) {
        self.width = width
        self.epsilon = epsilon
        self.weight = ProjectorParameter(name: "weight", shape: [width], value: weight, decay: false)
        self.bias = ProjectorParameter(name: "bias", shape: [width], value: bias, decay: false)
    }

    /// The parameters, weight first.
    public var parameters: [ProjectorParameter] { [weight, bias] }

    /// Normalises each of `rows` rows of `input`; returns the output and the cache for
    /// ``backward(cache:outputGradient:rows:)``.
    public func forward(_ input: [Float], rows: Int) -> (output: [Float], cache: Cache) {
        precondition(input.count == rows * width, "LayerNorm: expected \(rows)×\(width) inputs, got \(input.count)")
        var normalized = [Float](repeating: 0, count: input.count)
        var output = [Float](repeating: 0, count: input.count)
        var inverse = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let start = row * width
            var sum: Double = 0
            for column in 0..<width { sum += Double(input[start + column]) }
            let mean = sum / Double(width)
            var squares: Double = 0
            for column in 0..<width {
                let deviation = Double(input[start + column]) - mean
                squares += deviation * deviation
            }
            let inverseDeviation = 1 / (squares / Double(width) + Double(epsilon)).squareRoot()
            inverse[row] = Float(inverseDeviation)
            for column in 0..<width {
                let value = Float((Double(input[start + column]) - mean) * inverseDeviation)
                normalized[start + column] = value
                output[start + column] = value * weight.value[column] + bias.value[column]
            }
        }
        return (output, Cache(normalized: normalized, inverseDeviation: inverse))
    }

    /// Backward pass: accumulates dLoss/dweight = Σ dY·x̂ and dLoss/dbias = Σ dY, and returns
    /// dX = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = dY·weight, per row.
    public mutating func backward(cache: Cache, outputGradient: [Float], rows: Int) -> [Float] {
        precondition(outputGradient.count == rows * width, "LayerNorm: backward shape mismatch")
        var inputGradient = [Float](repeating: 0, count: rows * width)
        var scaled = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            let start = row * width
            var meanScaled: Double = 0
            var meanProduct: Double = 0
            for column in 0..<width {
                let dy = outputGradient[start + column]
                let xhat = cache.normalized[start + column]
                weight.gradient[column] += dy * xhat
                bias.gradient[column] += dy
                let g = Double(dy) * Double(weight.value[column])
                scaled[column] = g
                meanScaled += g
                meanProduct += g * Double(xhat)
            }
            meanScaled /= Double(width)
            meanProduct /= Double(width)
            let inverseDeviation = Double(cache.inverseDeviation[row])
            for column in 0..<width {
                let xhat = Double(cache.normalized[start + column])
                inputGradient[start + column] = Float(inverseDeviation * (scaled[column] - meanScaled - xhat * meanProduct))
            }
        }
        return inputGradient
    }

    /// Zeroes both gradients.
    public mutating func zeroGradients() {
        weight.zeroGradient()
        bias.zeroGradient()
    }
}

/// The exact (erf) GELU, x · Φ(x), and its derivative, on flat buffers.
public enum GELUActivation {
    /// GELU of every element, as ``GELUForm/exact``.
    public static func forward(_ input: [Float]) -> [Float] {
        input.map { GELUForm.exact.apply($0) }
    }

    /// dX = dY · (Φ(x) + x · φ(x)), where Φ and φ are the standard normal CDF and density.
    ///
    /// - Parameter input: The values the forward pass saw (before GELU).
    public static func backward(input: [Float], outputGradient: [Float]) -> [Float] {
        precondition(input.count == outputGradient.count, "GELU: backward shape mismatch")
        var result = [Float](repeating: 0, count: input.count)
        for index in input.indices {
            result[index] = outputGradient[index] * GELUForm.exactDerivative(input[index])
        }
        return result
    }
}
