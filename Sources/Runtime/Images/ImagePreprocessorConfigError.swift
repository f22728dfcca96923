import Foundation
/// Why a `preprocessor_config.json` could not be used. Every case names the file.
public enum ImagePreprocessorConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not valid JSON, or a field has the wrong type or an impossible value.
    case invalid(file: String, reason: String)
    /// The file asks for something ``ImagePreprocessor`` does not do (for example nearest-neighbour
    /// resampling or a `longest_edge` size).
    case unsupported(file: String, reason: String)

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot be read: \(reason)"
        case .invalid(let file, let reason): return "\(file): invalid image-processor configuration: \(reason)"
        case .unsupported(let file, let reason): return "\(file): unsupported image-processor setting: \(reason)"
        }
    }
}

extension ImagePreprocessorConfigError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        if case .unreadable(let file, _) = self, !FileManager.default.fileExists(atPath: file) { return .noInput }
        return .data
    }
}
