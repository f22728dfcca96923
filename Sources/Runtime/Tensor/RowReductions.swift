/// Sums and maxima over contiguous Floats, eight lanes at a time.
///
/// A plain `for` loop that accumulates into one Float cannot be vectorised, because Float
/// addition is not associative; these keep eight partial results and combine them at the end.
enum RowReductions {
    /// The sum of `count` elements from `values`.
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            lanes += SIMD8Memory.load(values + index)
            index += 8
        }
        var total = lanes.sum()
        while index < count {
            total += values[index]
            index += 1
        }
        return total
    }

    /// The sum of squared differences from `centre` over `count` elements.
    @inline(__always)
    static func squaredDeviation(_ values: UnsafePointer<Float>, count: Int, from centre: Float) -> Float {
        var lanes = SIMD8<Float>()
        let centres = SIMD8<Float>(repeating: centre)
        var index = 0
        while index + 8 <= count {
            let deviation = SIMD8Memory.load(values + index) - centres
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

    /// The largest of `count` elements (−∞ when `count` is 0); NaNs are ignored.
    @inline(__always)
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        // Four independent running maxima; comparisons with selects, no libm calls.
        var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
        var index = 0
        while index + 4 <= count {
            let (v0, v1, v2, v3) = (values[index], values[index + 1], values[index + 2], values[index + 3])
            m0 = v0 > m0 ? v0 : m0
            m1 = v1 > m1 ? v1 : m1
            m2 = v2 > m2 ? v2 : m2
            m3 = v3 > m3 ? v3 : m3
            index += 4
        }
        while index < count {
            let value = values[index]
            m0 = value > m0 ? value : m0
            index += 1
        }
        let left = m0 > m1 ? m0 : m1
        let right = m2 > m3 ? m2 : m3
        return left > right ? left : right
    }
}
