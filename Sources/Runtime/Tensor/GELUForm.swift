/// Which formula a GELU activation uses.
public enum GELUForm: String, Sendable, CaseIterable {
    /// The exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)); Hugging Face's `gelu`.
    case exact
    /// The tanh approximation, x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))); Hugging Face's
    /// `gelu_new` and `gelu_pytorch_tanh`.
    case tanh
    /// CLIP's sigmoid approximation, x · σ(1.702 x); Hugging Face's `quick_gelu`.
    case quick

    /// GELU of one value, within about 2·10⁻⁷·|x| of the formula; branch-free, so loops over
    /// it vectorise.
    @inlinable @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .exact:
            return 0.5 * x * (1 + FastMath.erf(x * 0.707_106_781_186_547_5))
        case .tanh:
            // x/2 · (1 + tanh(u)) = x · σ(2u) = x / (1 + e^(−2u)).
            let u = 0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)
            return x / (1 + FastMath.exp(-2 * u))
        case .quick:
            return x / (1 + FastMath.exp(-1.702 * x))
        }
    }

    /// Φ(x), the standard normal CDF, with which the exact GELU is x · Φ(x).
    @inlinable @inline(__always)
    public static func exactCDF(_ x: Float) -> Float {
        0.5 * (1 + FastMath.erf(x * 0.707_106_781_186_547_5))
    }

    /// d/dx [x · Φ(x)] = Φ(x) + x · φ(x), the derivative of the exact GELU, where φ is the
    /// standard normal density: what every backward pass through a GELU uses.
    @inlinable @inline(__always)
    public static func exactDerivative(_ x: Float) -> Float {
        exactCDF(x) + x * FastMath.exp(-0.5 * x * x) * 0.398_942_280_401_432_7
    }

    /// The form Hugging Face's `hidden_act` names (`gelu`; `gelu_new` or `gelu_pytorch_tanh`;
    /// `quick_gelu`), nil for any other activation.
    public init?(huggingFaceName name: String) {
        switch name {
        case "gelu": self = .exact
        case "gelu_new", "gelu_pytorch_tanh": self = .tanh
        case "quick_gelu": self = .quick
        default: return nil
        }
    }

    /// The C kernels' code for this form.
    var kernelCode: Int32 {
        switch self {
        case .exact: 0
        case .tanh: 1
        case .quick: 2
        }
    }
}
