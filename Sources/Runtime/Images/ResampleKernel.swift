/// The fixed-point weights of one resampling pass along one axis, computed exactly as PIL's
/// `precompute_coeffs` and `normalize_coeffs_8bpc` do.
struct ResampleKernel {
    /// PIL's `PRECISION_BITS` (32 - 8 - 2): fractional bits of the fixed-point weights.
    static let precisionBits = 22

    /// Taps reserved per output sample.
    let tapsPerOutput: Int
    /// For each output sample, the first input index it reads.
    let firstInput: [Int]
    /// For each output sample, how many inputs it reads.
    let tapCounts: [Int]
    /// `tapsPerOutput` weights per output sample, in units of 2^-22.
    let weights: [Int32]

    /// The kernel mapping `inputSize` samples to `outputSize` with `filter`.
    ///
    /// When shrinking, the filter is stretched by the scale (antialiasing); weights are
    /// normalised to sum 1 (edge taps drop out), then rounded half away from zero to fixed point.
    init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        precondition(inputSize > 0 && outputSize > 0, "resampling needs non-empty sizes")
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverse = 1 / filterScale
        let unit = Double(1 << Self.precisionBits)
        var firstInput = [Int](repeating: 0, count: outputSize)
        var tapCounts = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * taps)
        var exact = [Double](repeating: 0, count: taps)
        for output in 0..<outputSize {
            let center = (Double(output) + 0.5) * scale
            let low = max(Int(center - support + 0.5), 0)
            let high = min(Int(center + support + 0.5), inputSize)
            let count = high - low
            var total = 0.0
            for tap in 0..<count {
                let weight = filter.weight((Double(tap + low) - center + 0.5) * inverse)
                exact[tap] = weight
                total += weight
            }
            for tap in 0..<count {
                let normalised = total != 0 ? exact[tap] / total : exact[tap]
                let fixed = normalised < 0 ? -0.5 + normalised * unit : 0.5 + normalised * unit
                weights[output * taps + tap] = Int32(fixed)
            }
            firstInput[output] = low
            tapCounts[output] = count
        }
        self.tapsPerOutput = taps
        self.firstInput = firstInput
        self.tapCounts = tapCounts
        self.weights = weights
    }

    /// PIL's `clip8`: a fixed-point sum (with the rounding half already added) to a byte.
    @inline(__always)
    static func clip(_ sum: Int32) -> UInt8 {
        if sum >= Int32(1) << (precisionBits + 8) { return 255 }
        if sum <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: sum >> Int32(precisionBits))
    }
}
