import Runtime

/// Why a loaded vision encoder refused a batch of pixels (loading fails with
/// ``ModelLoadError``).
public enum VisionEncoderError: ReportableError, Equatable {
    /// The pixel tensor is not `[N, channels, H, W]` with the model's channel count and a
    /// non-empty image.
    case invalidPixelShape(shape: [Int], reason: String)
    /// The image height or width is not a multiple of the patch size.
    case imageSizeNotMultipleOfPatch(height: Int, width: Int, patchSize: Int)

    /// A one-line explanation that names the shape concerned.
    public var description: String {
        switch self {
        case .invalidPixelShape(let shape, let reason):
            return "pixels of shape \(shape): \(reason)"
        case .imageSizeNotMultipleOfPatch(let height, let width, let patchSize):
            return "image size \(height) × \(width) is not a multiple of the patch size \(patchSize); resize or crop it to a multiple first"
        }
    }

    /// Pixels the model cannot take are bad data.
    public var exitStatus: ExitStatus { .data }
}
