/// Why a ``ProjectorArchitecture`` is not usable.
public enum ProjectorArchitectureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A width is zero or negative.
    case nonPositiveWidth(field: String, value: Int)
    /// `visionRegisters` is negative.
    case negativeRegisters(Int)
    /// Pooled input has no patch tokens, so `visionLocal` must be `none` and
    /// `visionRegisters` 0.
    case tokenOptionWithPooledInput(field: String)
    /// Both vision branches are `none`, so images would map to nothing.
    case noVisionBranch
    /// An identity branch would change the width.
    case identityWidthMismatch(branch: String, inWidth: Int, outWidth: Int)
    /// The text side would not end at the output width.
    case textWidthMismatch(textWidth: Int, outputWidth: Int)
    /// The dropout probability is outside [0, 1).
    case dropoutOutOfRange(Float)
    /// The JSON text does not decode to an architecture.
    case malformedJSON(reason: String)

    /// A one-line explanation for people.
    public var description: String {
        switch self {
        case .nonPositiveWidth(let field, let value):
            return "projector architecture: \(field) must be positive, got \(value)"
        case .negativeRegisters(let value):
            return "projector architecture: visionRegisters must be 0 or more, got \(value)"
        case .tokenOptionWithPooledInput(let field):
            return "projector architecture: \(field) needs token input; with pooled input visionLocal must be none and visionRegisters 0"
        case .noVisionBranch:
            return "projector architecture: visionLocal and visionCLS are both none; at least one must project the image"
        case .identityWidthMismatch(let branch, let inWidth, let outWidth):
            return "projector architecture: \(branch) is identity but its input width \(inWidth) differs from its output width \(outWidth)"
        case .textWidthMismatch(let textWidth, let outputWidth):
            return "projector architecture: textToken passes text width \(textWidth) through without a head, but the output width is \(outputWidth)"
        case .dropoutOutOfRange(let value):
            return "projector architecture: dropout must lie in [0, 1), got \(value)"
        case .malformedJSON(let reason):
            return "projector architecture: not valid architecture JSON: \(reason)"
        }
    }
}

extension ProjectorArchitectureError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        .usage
    }
}
