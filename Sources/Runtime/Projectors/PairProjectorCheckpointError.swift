import Foundation
/// Why a projector weights file or training-state file could not be written or read.
///
/// Every case names the file; cases about one tensor name it too.
public enum PairProjectorCheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not a readable safetensors file; `reason` is the reader's message.
    case unreadable(file: String, reason: String)
    /// The metadata has no `architecture` entry.
    case missingArchitecture(file: String)
    /// The `architecture` entry does not parse or does not validate.
    case invalidArchitecture(file: String, reason: String)
    /// An expected tensor is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor has another shape than the architecture implies.
    case wrongShape(file: String, tensor: String, expected: [Int], actual: [Int])
    /// A tensor has another dtype than the one written (F32, or I64 for `adam.step`).
    case wrongDType(file: String, tensor: String, dtype: String, expected: String)
    /// The file holds a tensor the architecture has no place for.
    case unexpectedTensor(file: String, tensor: String)
    /// A metadata value is missing or malformed (for example `dropout_rng`), or a caller's
    /// counter uses a reserved key.
    case badMetadata(file: String, key: String, reason: String)
    /// An optimiser moment has no partner (`adam.m.*` without `adam.v.*` or the reverse) or a
    /// negative step count was stored.
    case inconsistentOptimizerState(file: String, tensor: String, reason: String)
    /// Writing failed; the previous file, if any, is left as it was.
    case cannotWrite(file: String, reason: String)

    /// A one-line explanation for people, naming the file and tensor.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): not a readable safetensors file: \(reason)"
        case .missingArchitecture(let file):
            return "\(file): no 'architecture' metadata entry"
        case .invalidArchitecture(let file, let reason):
            return "\(file): bad 'architecture' metadata: \(reason)"
        case .missingTensor(let file, let tensor):
            return "\(file): tensor '\(tensor)' is missing"
        case .wrongShape(let file, let tensor, let expected, let actual):
            return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected)"
        case .wrongDType(let file, let tensor, let dtype, let expected):
            return "\(file): tensor '\(tensor)' is \(dtype), expected \(expected)"
        case .unexpectedTensor(let file, let tensor):
            return "\(file): unexpected tensor '\(tensor)' for this architecture"
        case .badMetadata(let file, let key, let reason):
            return "\(file): metadata '\(key)': \(reason)"
        case .inconsistentOptimizerState(let file, let tensor, let reason):
            return "\(file): optimiser state '\(tensor)': \(reason)"
        case .cannotWrite(let file, let reason):
            return "\(file): cannot write: \(reason)"
        }
    }
}

extension PairProjectorCheckpointError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch self {
        case .unreadable(let file, _): return FileManager.default.fileExists(atPath: file) ? .io : .noInput
        case .cannotWrite: return .io
        default: return .data
        }
    }
}
