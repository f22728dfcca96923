/// Branch-free `exp` and `erf` for Float that the compiler can vectorise in loops, unlike calls
/// into libm. Accurate to a few units in the last place of Float, far below the tolerances of
/// a transformer forward pass.
@usableFromInline package enum FastMath {
    /// eˣ, with relative error about 2·10⁻⁷ for x in [−87, 88]; 0 below −87 (so e^−∞ = 0), and
    /// larger inputs give e⁸⁸ rather than overflowing.
    @inlinable @inline(__always)
    package static func exp(_ input: Float) -> Float {
        let x = min(max(input, -87), 88)
        // x = k·ln2 + r with k an integer and |r| ≤ ln2/2. Adding 1.5·2²³ rounds x·log₂e to an
        // integer held in the low mantissa bits, so k needs no float-to-int conversion.
        let shifter: Float = 12_582_912
        let shifted = x * 1.442_695_04 + shifter
        let k = shifted - shifter
        // ln2 split in two so that k·ln2 subtracts without rounding error.
        let r = (x - k * 0.693_145_75) - k * 1.428_606_8e-6
        // e^r by its Taylor series to r⁶/6!, within 1.2·10⁻⁷ relative on |r| ≤ ln2/2.
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^k from the integer in the low bits of `shifted`, moved into the exponent field.
        let exponent = (shifted.bitPattern &- shifter.bitPattern &+ 127) &<< 23
        return input < -87 ? 0 : p * Float(bitPattern: exponent)
    }

    /// erf(x) as x·P(x²)/Q(x²), a rational fit of degrees 5 and 5 in x² made for zoo on
    /// [−3.925, 3.925], with x clamped to that range (erf rounds to ±1 in Float beyond it).
    /// Absolute error below 4·10⁻⁷ when evaluated in Float; one division and no `exp`.
    @inlinable @inline(__always)
    package static func erf(_ input: Float) -> Float {
        let x = min(max(input, -3.925), 3.925)
        let t = x * x
        var p: Float = 2.030_764_5e-6
        p = p * t + 2.874_946_1e-4
        p = p * t + 3.876_609_8e-3
        p = p * t + 5.308_522e-2
        p = p * t + 0.192_979_67
        p = p * t + 1.128_379_02
        var q: Float = 3.803_048_7e-5
        q = q * t + 1.189_811_1e-3
        q = q * t + 1.518_892_8e-2
        q = q * t + 0.115_170_33
        q = q * t + 0.504_355_41
        q = q * t + 1
        return x * p / q
    }
}
