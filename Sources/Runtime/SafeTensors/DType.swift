/// The element type of a tensor stored in a safetensors file, spelled as in the header's `dtype` field.
public enum DType: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// IEEE 754 binary64.
    case float64 = "F64"
    /// IEEE 754 binary32.
    case float32 = "F32"
    /// IEEE 754 binary16 (half precision).
    case float16 = "F16"
    /// bfloat16: the upper 16 bits of an IEEE 754 binary32.
    case bfloat16 = "BF16"
    /// 8-bit float with 4 exponent and 3 mantissa bits. Known, but not convertible by the reader.
    case float8E4M3 = "F8_E4M3"
    /// 8-bit float with 5 exponent and 2 mantissa bits. Known, but not convertible by the reader.
    case float8E5M2 = "F8_E5M2"
    /// Signed 64-bit integer.
    case int64 = "I64"
    /// Signed 32-bit integer.
    case int32 = "I32"
    /// Signed 16-bit integer.
    case int16 = "I16"
    /// Signed 8-bit integer.
    case int8 = "I8"
    /// Unsigned 64-bit integer.
    case uint64 = "U64"
    /// Unsigned 32-bit integer.
    case uint32 = "U32"
    /// Unsigned 16-bit integer.
    case uint16 = "U16"
    /// Unsigned 8-bit integer.
    case uint8 = "U8"
    /// Boolean, one byte per element.
    case bool = "BOOL"

    /// The header spelling, for example `F32`.
    public var description: String { rawValue }

    /// The number of bytes one element occupies.
    public var byteSize: Int {
        switch self {
        case .float64, .int64, .uint64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float8E4M3, .float8E5M2, .int8, .uint8, .bool: 1
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can convert this type to `Float`.
    public var isConvertibleToFloat: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16: true
        default: false
        }
    }

    /// Whether ``SafeTensorsFile/int64s(_:)`` can read this type.
    public var isInteger: Bool {
        switch self {
        case .int64, .int32, .int16, .int8, .uint64, .uint32, .uint16, .uint8: true
        default: false
        }
    }
}
