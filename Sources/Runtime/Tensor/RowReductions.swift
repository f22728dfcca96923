/// Sums over contiguous Floats, eight lanes at a time.
///
/// A plain `for` loop that accumulates into one Float cannot be vectorised, because Float
/// addition is not associative; this keeps eight partial results and combines them at the end.
enum RowReductions {
    /// The sum of squared differences from `centre` over `count` elements.
    @inline(__always)
    static func squaredDeviation(_ values: UnsafePointer<Float>, count: Int, from centre: Float) -> Float {
        var lanes = SIMD8<Float>()
        let centres = SIMD8<Float>(repeating: centre)
        var index = 0
        while index + 8 <= count {
            let deviation = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self) - centres
            lanes += deviation * deviation
            index += 8
        }
        var total = lanes.sum()
        while index < count {
            let deviation = values[index] - centre
            total += deviation * deviation
            index += 1
        }
        return total
    }
}
