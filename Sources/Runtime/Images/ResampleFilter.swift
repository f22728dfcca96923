import Foundation

/// PIL's convolution resampling filters, numbered as PIL's `Image.Resampling` (and Hugging Face's
/// `resample` field) number them. Nearest (0) is not a convolution and is not offered.
public enum ResampleFilter: Int, Sendable, CaseIterable {
    /// Lanczos, a = 3 (PIL `LANCZOS` = 1).
    case lanczos = 1
    /// Triangle (PIL `BILINEAR` = 2).
    case bilinear = 2
    /// Cubic convolution with a = -0.5 (PIL `BICUBIC` = 3).
    case bicubic = 3
    /// Box (PIL `BOX` = 4).
    case box = 4
    /// Hamming-windowed sinc (PIL `HAMMING` = 5).
    case hamming = 5

    /// Half the filter's width at scale 1.
    var support: Double {
        switch self {
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The filter's weight at `x`, written as PIL's `Resample.c` evaluates it.
    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(x)
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            let x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .hamming:
            var x = abs(x)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            x *= Double.pi
            return sin(x) / x * (0.54 + 0.46 * cos(x))
        case .lanczos:
            return -3 <= x && x < 3 ? Self.sinc(x) * Self.sinc(x / 3) : 0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let scaled = x * Double.pi
        return sin(scaled) / scaled
    }
}
