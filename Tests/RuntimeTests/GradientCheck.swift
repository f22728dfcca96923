import Runtime

// Finite-difference helpers shared by the projector gradient tests.

/// Random values in [−scale, scale) from a seeded generator.
func randomArray(_ count: Int, _ random: inout ProjectorRandom, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in random.uniform(bound: scale) }
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, 1e-8), in Double.
func relativeDifference(_ analytic: [Float], _ numeric: [Double]) -> Double {
    var difference: Double = 0
    var analyticNorm: Double = 0
    var numericNorm: Double = 0
    for (a, n) in zip(analytic, numeric) {
        difference += (Double(a) - n) * (Double(a) - n)
        analyticNorm += Double(a) * Double(a)
        numericNorm += n * n
    }
    return difference.squareRoot() / max(analyticNorm.squareRoot(), numericNorm.squareRoot(), 1e-8)
}

/// Σ output ∘ weights in Double: a scalar loss whose gradient with respect to output is weights.
func projected(_ output: [Float], _ weights: [Float]) -> Double {
    zip(output, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Central differences of `loss` with respect to each element of `values`.
func centralDifferences(_ values: [Float], epsilon: Float = 1e-3, _ loss: ([Float]) -> Double) -> [Double] {
    var gradient = [Double](repeating: 0, count: values.count)
    for index in values.indices {
        var plus = values
        plus[index] += epsilon
        var minus = values
        minus[index] -= epsilon
        gradient[index] = (loss(plus) - loss(minus)) / (Double(plus[index]) - Double(minus[index]))
    }
    return gradient
}
