import Foundation
/// Why an image could not be decoded or preprocessed. Every case names the file (its path, or the
/// name given for in-memory bytes).
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file holds no bytes.
    case empty(file: String)
    /// The file is larger than ``ImageLimits/maxFileBytes``.
    case fileTooLarge(file: String, bytes: Int, limit: Int)
    /// The leading bytes match none of JPEG, PNG and WebP; `detected` names a recognised other format.
    case unknownFormat(file: String, detected: String?)
    /// The declared size exceeds ``ImageLimits``; nothing was allocated for the pixels.
    case dimensionsTooLarge(file: String, format: ImageFormat, width: Int, height: Int, limits: ImageLimits)
    /// The data is damaged or truncated; `reason` is the decoder's message.
    case corrupt(file: String, format: ImageFormat, reason: String)
    /// The file is valid but uses a variant zoo does not decode (for example a 2-channel JPEG).
    case unsupported(file: String, format: ImageFormat, reason: String)
    /// The pixel memory could not be allocated.
    case outOfMemory(file: String, format: ImageFormat, reason: String)
    /// Preprocessing gave this image another shape than the rest of its batch.
    case shapeMismatch(file: String, expected: [Int], actual: [Int])

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .empty(let file), .fileTooLarge(let file, _, _),
            .unknownFormat(let file, _), .dimensionsTooLarge(let file, _, _, _, _), .corrupt(let file, _, _),
            .unsupported(let file, _, _), .outOfMemory(let file, _, _), .shapeMismatch(let file, _, _):
            return file
        }
    }

    /// A one-line explanation naming the file.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the file: \(reason)"
        case .empty(let file):
            return "\(file): the file is empty"
        case .fileTooLarge(let file, let bytes, let limit):
            return "\(file): \(bytes) bytes is more than the \(limit)-byte limit for image files"
        case .unknownFormat(let file, let detected):
            if let detected {
                return "\(file): \(detected) images are not supported (JPEG, PNG and WebP are)"
            }
            return "\(file): not a JPEG, PNG or WebP image (unrecognised leading bytes)"
        case .dimensionsTooLarge(let file, let format, let width, let height, let limits):
            return "\(file): \(format) declares \(width)x\(height) pixels, beyond the limits of "
                + "\(limits.maxSide) a side and \(limits.maxPixels) in all"
        case .corrupt(let file, let format, let reason):
            return "\(file): corrupt or truncated \(format): \(reason)"
        case .unsupported(let file, let format, let reason):
            return "\(file): unsupported \(format): \(reason)"
        case .outOfMemory(let file, let format, let reason):
            return "\(file): out of memory decoding \(format): \(reason)"
        case .shapeMismatch(let file, let expected, let actual):
            return "\(file): preprocessed to shape \(actual), but the batch has \(expected)"
        }
    }
}

extension ImageError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        if case .unreadable(let file, _) = self, !FileManager.default.fileExists(atPath: file) { return .noInput }
        return .data
    }
}
