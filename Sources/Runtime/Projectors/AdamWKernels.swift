/// The raw-pointer loop of ``AdamW``.
extension ProjectorKernels {
    /// One AdamW update of every element of `value` in place, from `gradient` and the moments
    /// `first` and `second` (updated in place): m ← m + (1−β₁)(g − m), v ← β₂v + (1−β₂)g²,
    /// p ← p·`decayFactor` − `stepSize` · m / (√v/`correction2Root` + ε). Parallel over blocks of
    /// 4,096 elements.
    ///
    /// - Precondition: the four arrays have the same length.
    static func adamWUpdate(
        _ value: inout [Float], first: inout [Float], second: inout [Float], gradient: [Float],
        beta1: Float, beta2: Float, epsilon: Float, stepSize: Float, correction2Root: Float, decayFactor: Float
    ) {
        let count = value.count
        let (oneMinusBeta1, oneMinusBeta2) = (1 - beta1, 1 - beta2)
        value.withUnsafeMutableBufferPointer { value in
            first.withUnsafeMutableBufferPointer { first in
                second.withUnsafeMutableBufferPointer { second in
                    gradient.withUnsafeBufferPointer { gradient in
                        let (p, m, v, g) = (value.baseAddress!, first.baseAddress!, second.baseAddress!, gradient.baseAddress!)
                        ParallelRows.forEach(count: (count + 4095) / 4096, costPerRow: 4096 * 4) { blocks in
                            for element in blocks.lowerBound * 4096 ..< min(blocks.upperBound * 4096, count) {
                                let g = g[element]
                                let m1 = m[element] + oneMinusBeta1 * (g - m[element])
                                let v1 = beta2 * v[element] + oneMinusBeta2 * g * g
                                m[element] = m1
                                v[element] = v1
                                let denominator = v1.squareRoot() / correction2Root + epsilon
                                p[element] = p[element] * decayFactor - stepSize * (m1 / denominator)
                            }
                        }
                    }
                }
            }
        }
    }
}
