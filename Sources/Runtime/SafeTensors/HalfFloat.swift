/// Exact conversions from the 16-bit float formats used in safetensors files to `Float`.
///
/// Both conversions are exact for every input: `Float` can represent every binary16 and
/// every bfloat16 value, including subnormals, infinities and NaN payloads.
public enum HalfFloat {
    /// Converts the bit pattern of an IEEE 754 binary16 value to `Float`.
    public static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            guard mantissa != 0 else { return Float(bitPattern: sign) }
            // Subnormal half: normalise the mantissa so it becomes a normal float.
            var shifted = mantissa
            var shifts: UInt32 = 0
            while shifted & 0x400 == 0 {
                shifted <<= 1
                shifts += 1
            }
            let floatExponent = 113 - shifts
            return Float(bitPattern: sign | floatExponent << 23 | (shifted & 0x3FF) << 13)
        case 0x1F:
            // Infinity or NaN; the payload (and so the quiet bit) carries over.
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Converts the bit pattern of a bfloat16 value to `Float`.
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
